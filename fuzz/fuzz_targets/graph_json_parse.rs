//! `Graph::from_json` on arbitrary JSON: it may refuse a value, never panic, and it reads a
//! document exactly as `Graph`'s serde `Deserialize` does.

#![no_main]

use libfuzzer_sys::fuzz_target;
use link_runtime::graph::Graph;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let fields: Option<Vec<String>> = json.get("fields").and_then(Value::as_array).map(|fields| {
        fields
            .iter()
            .filter_map(|field| field.as_str().map(str::to_owned))
            .collect()
    });

    let parsed = Graph::from_json(json);
    let deserialized = serde_json::from_slice::<Graph>(data);
    match (&parsed, &deserialized) {
        (Ok(parsed), Ok(deserialized)) => assert_eq!(parsed, deserialized),
        (Err(_), Err(_)) => {}
        _ => panic!("from_json gave {parsed:?}, Deserialize gave {deserialized:?}"),
    }

    if let Ok(graph) = parsed {
        assert_eq!(
            graph.fields_requested(),
            fields.unwrap_or_default().as_slice(),
            "the fields are the document's, in its order"
        );
    }
});
