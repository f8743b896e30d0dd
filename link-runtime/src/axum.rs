//! Serving links and graph queries from an [axum](https://docs.rs/axum) service (feature
//! `axum`).
//!
//! - [`Error`] is an [`IntoResponse`]: its status is its kind's
//!   ([`ErrorKind::http_status`]), and its body the JSON of [`Error::details`]:
//!   `{ "type": "conflict", "message": "..." }`.
//! - [`GraphQuery<M>`] reads a graph query of the model `M` from the request's query string,
//!   in the form of Medusa's store API (see [`Graph::from_query`]).
//! - [`Json<T>`] reads a JSON body as `axum::Json` does, and refuses a body it cannot read
//!   with the same JSON shape as the errors, so that every error a client sees has one form.
//! - A [`JsonResult`] (the result of [`Graph::to_json`]) is a response, written straight from
//!   the records the query read.
//!
//! ```
//! use axum::routing::{get, post};
//! use axum::Router;
//! use link_runtime::axum::{GraphQuery, Json};
//! use link_runtime::graph::GraphResult;
//! # use link_runtime::prelude::*;
//! # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
//!
//! async fn products(GraphQuery(graph, ..): GraphQuery<Product>) -> Result<String, link_runtime::Error> {
//!     // Run `graph` with `aio::Query`, under the store's scope.
//!     Ok(format!("{:?}", graph.fields_requested()))
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct NewBrand { id: String, name: String }
//!
//! async fn create_brand(Json(brand): Json<NewBrand>) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "id": brand.id, "name": brand.name }))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/store/products", get(products))
//!     .route("/admin/brands", post(create_brand));
//! ```

use std::marker::PhantomData;

use ::axum::extract::rejection::JsonRejection;
use ::axum::extract::{FromRequest, FromRequestParts, Request};
use ::axum::http::request::Parts;
use ::axum::http::StatusCode;
use ::axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, ErrorDetails, ErrorKind};
use crate::graph::{Graph, JsonResult};
use crate::linkable::Linkable;

impl IntoResponse for Error {
    /// The error's status and the JSON of its [`details`](Error::details).
    ///
    /// ```
    /// use axum::response::IntoResponse;
    ///
    /// let error = link_runtime::Error::MalformedQuery { reason: "no entity".into() };
    /// let response = error.into_response();
    /// assert_eq!(response.status(), 400);
    /// ```
    fn into_response(self) -> Response {
        respond(self.kind().http_status(), self.details())
    }
}

impl IntoResponse for JsonResult {
    /// 200 and the result's JSON, written straight from its records: the body is the
    /// buffer the rows were written into ([`JsonResult::into_body`]).
    fn into_response(self) -> Response {
        (
            [(
                ::axum::http::header::CONTENT_TYPE,
                ::axum::http::HeaderValue::from_static("application/json"),
            )],
            self.into_body(),
        )
            .into_response()
    }
}

fn respond(status: u16, details: ErrorDetails) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, ::axum::Json(details)).into_response()
}

/// Extracts a graph query of the model `M` from the request's query string, read by
/// [`Graph::from_query`]: `GET /store/products?fields=id,title,brand.*&brand[name]=Acme&limit=12`.
///
/// A query string it cannot read is refused with [`Error::MalformedQuery`], as a 400 whose
/// body is the JSON of the error. Names are checked when the query runs, and a scope (see
/// [`graph`](crate::graph)) decides what a client may reach.
///
/// ```
/// use axum::extract::FromRequestParts;
/// use link_runtime::axum::GraphQuery;
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let request = axum::http::Request::get("/store/products?fields=id,*brand&limit=2")
///     .body(())
///     .unwrap();
/// let (mut parts, ()) = request.into_parts();
/// let GraphQuery(graph, ..) = GraphQuery::<Product>::from_request_parts(&mut parts, &())
///     .await
///     .unwrap();
/// assert_eq!(graph.fields_requested(), ["id", "brand.*"]);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct GraphQuery<M>(pub Graph, pub PhantomData<fn() -> M>);

impl<M> GraphQuery<M> {
    /// The query.
    pub fn into_inner(self) -> Graph {
        self.0
    }
}

impl<M, S> FromRequestParts<S> for GraphQuery<M>
where
    M: Linkable,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(GraphQuery(
            Graph::from_query_of(M::ENTITY, query)?,
            PhantomData,
        ))
    }
}

/// A JSON body, read and written as [`axum::Json`] does, whose refusals
/// ([`BodyRejection`]) answer in the JSON shape of the errors:
/// `{ "type": "invalid", "message": "..." }`.
///
/// ```
/// use axum::extract::FromRequest;
/// use axum::response::IntoResponse;
/// use link_runtime::axum::Json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let request = axum::http::Request::post("/admin/brands")
///     .header("content-type", "application/json")
///     .body(axum::body::Body::from("{\"id\": "))
///     .unwrap();
/// let refused = Json::<serde_json::Value>::from_request(request, &()).await.unwrap_err();
/// assert_eq!(refused.status(), 400);
/// assert_eq!(refused.into_response().status(), 400);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match ::axum::Json::<T>::from_request(request, state).await {
            Ok(::axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(BodyRejection::from(rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        ::axum::Json(self.0).into_response()
    }
}

/// Why a [`Json`] body was refused: axum's status for it (400 for a body that is not the
/// JSON expected, 415 without a JSON content type, 413 for one too large) and its reason,
/// answered as `{ "type": "invalid", "message": "..." }`.
#[derive(Debug)]
pub struct BodyRejection {
    status: StatusCode,
    message: String,
}

impl BodyRejection {
    /// The response's status.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The response's body.
    pub fn details(&self) -> ErrorDetails {
        ErrorDetails::new(ErrorKind::Invalid, self.message.clone())
    }
}

impl From<JsonRejection> for BodyRejection {
    fn from(rejection: JsonRejection) -> Self {
        BodyRejection {
            status: rejection.status(),
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for BodyRejection {
    fn into_response(self) -> Response {
        let status = self.status.as_u16();
        respond(status, self.details())
    }
}

impl std::fmt::Display for BodyRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BodyRejection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_that_is_not_json_answers_in_the_errors_shape() {
        let request = ::axum::http::Request::post("/")
            .header("content-type", "application/json")
            .body(::axum::body::Body::from("{"))
            .unwrap();
        let refused = Json::<serde_json::Value>::from_request(request, &())
            .await
            .unwrap_err();
        let response = refused.into_response();
        assert_eq!(response.status(), 400);
        let body = ::axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["type"], "invalid");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("Failed to parse the request body as JSON"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn a_body_without_a_json_content_type_is_415() {
        let request = ::axum::http::Request::post("/")
            .body(::axum::body::Body::from("{}"))
            .unwrap();
        let refused = Json::<serde_json::Value>::from_request(request, &())
            .await
            .unwrap_err();
        assert_eq!(refused.status(), 415);
        assert_eq!(refused.details().kind, ErrorKind::Invalid);
    }

    #[test]
    fn an_error_answers_with_its_kinds_status() {
        let error = Error::MalformedQuery {
            reason: "no entity".into(),
        };
        assert_eq!(error.into_response().status(), 400);
    }
}
