//! A PostgreSQL server of a test's own, for tests that kill it: the shared test server
//! must stay up for the other tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{connect, postgres_url};
use diesel::PgConnection;

/// A throwaway PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only,
/// stopped and removed with the value.
///
/// It is started with the binaries of the installed server (`/usr/lib/postgresql/*/bin`,
/// or the folder in `LINK_TEST_POSTGRES_BIN`). As root, the cluster belongs to the
/// `postgres` user, since `initdb` refuses to run as root. It allows prepared transactions
/// (`max_prepared_transactions=64`), as the CI server does.
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    settings: Vec<String>,
}

/// A fresh server, or `None` (and a line saying `test` was skipped) when
/// [`POSTGRES_URL`](crate::POSTGRES_URL) is not set: the PostgreSQL tests run where it is.
///
/// # Panics
///
/// If the URL is set but no server binaries are found, or the server does not start.
pub fn pg_server(test: &str) -> Option<PgServer> {
    pg_server_with(test, &[])
}

/// [`pg_server`], started with `settings` as well (`name=value`, as `postgres -c` takes
/// them), which override the defaults: `pg_server_with(test, &["max_prepared_transactions=0"])`
/// is a server as PostgreSQL is configured out of the box.
///
/// # Panics
///
/// As [`pg_server`].
pub fn pg_server_with(test: &str, settings: &[&str]) -> Option<PgServer> {
    postgres_url(test)?;
    let bin = server_bin().unwrap_or_else(|| {
        panic!("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin")
    });
    let dir = std::env::temp_dir().join(format!(
        "links-pg-{test}-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    ));
    std::fs::create_dir_all(&dir).expect("the server's folder is created");
    let as_postgres = is_root();
    if as_postgres {
        run(Command::new("chown").arg("postgres:").arg(&dir));
    }
    let server = PgServer {
        bin,
        dir,
        port: free_port(),
        as_postgres,
        settings: settings.iter().map(|&setting| setting.to_owned()).collect(),
    };
    server.tool(
        "initdb",
        &[
            "-D",
            &server.data(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    );
    server.start();
    Some(server)
}

impl PgServer {
    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of its database `name`.
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// A new connection to its `postgres` database, in UTC.
    pub fn connect(&self) -> PgConnection {
        connect(&self.url())
    }

    /// A new connection to its database `name`, in UTC.
    pub fn connect_to(&self, name: &str) -> PgConnection {
        connect(&self.database_url(name))
    }

    /// Kills the server the way a crash would: `pg_ctl stop -m immediate` ends every
    /// backend at once, with no checkpoint, so the next start recovers from the log.
    pub fn kill(&self) {
        self.tool(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    /// Starts it (again), waiting until it accepts connections.
    pub fn start(&self) {
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} -c fsync=off \
             -c max_prepared_transactions=64",
            self.port,
            self.dir.display()
        );
        // A setting given twice takes the last value.
        for setting in &self.settings {
            options.push_str(" -c ");
            options.push_str(setting);
        }
        let log = self.dir.join("server.log");
        self.tool(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    /// Runs one of the server's programs, as `postgres` when the tests run as root.
    fn tool(&self, program: &str, args: &[&str]) -> Output {
        run(&mut self.command(program, args))
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        command.args(args);
        command
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The folder of the installed server's binaries.
fn server_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LINK_TEST_POSTGRES_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| Path::new(&bin.join("initdb")).exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    let output = run(Command::new("id").arg("-u"));
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port is free");
    listener.local_addr().expect("it has an address").port()
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{command:?} does not start: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
