//! The records a graph query reads, before they take their output form: a JSON object for
//! [`Graph`](super::Graph), or the selecting struct for a typed query, which deserializes
//! straight from the record without building JSON objects first.
//!
//! A record holds its output fields' values in the order of its [`Node`]'s columns, and
//! one [`Linked`] per hop; a record linked from several others is shared ([`Arc`]), and
//! copied only where an output needs its own.

use std::sync::Arc;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess};
use serde::forward_to_deserialize_any;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::graph::plan::{Count, Node, COUNT_FIELD};
use crate::graph::typed::CountKeys;

/// A record of a node: its output fields, then its links, each in the node's order.
///
/// Public in a private module: the sealed `GraphRequest` names it as a sink's type, which
/// a crate-private type could not be.
#[derive(Debug, Clone)]
pub struct Record {
    pub(crate) fields: Vec<Value>,
    pub(crate) links: Vec<Linked>,
    /// Its counts of linked records, in the order of its node's.
    pub(crate) counts: Vec<Value>,
}

/// What one link field of a record holds.
#[derive(Debug, Clone)]
pub(crate) enum Linked {
    /// A side that is not a list: its record, if there is one.
    One(Option<Arc<Record>>),
    /// A list side.
    Many(Vec<Arc<Record>>),
}

impl Linked {
    /// What a record holds before its links are read: no record, or an empty list.
    pub fn empty(many: bool) -> Self {
        if many {
            Linked::Many(Vec::new())
        } else {
            Linked::One(None)
        }
    }
}

/// The record itself when no other holds it, a copy when others do.
fn take(record: Arc<Record>) -> Record {
    Arc::try_unwrap(record).unwrap_or_else(|shared| Record::clone(&shared))
}

/// `record` of `node` as a JSON object.
pub(crate) fn to_json(node: &Node, record: Record) -> Value {
    let mut object = Map::new();
    for (column, value) in node.select.iter().zip(record.fields) {
        object.insert(column.name.to_owned(), value);
    }
    for (hop, linked) in node.hops.iter().zip(record.links) {
        let value = match linked {
            Linked::One(None) => Value::Null,
            Linked::One(Some(record)) => to_json(&hop.node, take(record)),
            Linked::Many(records) => Value::Array(
                records
                    .into_iter()
                    .map(|record| to_json(&hop.node, take(record)))
                    .collect(),
            ),
        };
        object.insert(hop.name.to_owned(), value);
    }
    if !node.counts.is_empty() {
        let counts = node
            .counts
            .iter()
            .map(|count| count.name.to_owned())
            .zip(record.counts)
            .collect();
        object.insert(COUNT_FIELD.to_owned(), Value::Object(counts));
    }
    Value::Object(object)
}

/// `record` of `node`, written by serde as [`to_json`] would build it (the same keys, in the
/// order a `serde_json` map keeps them) without building it: a JSON result written this way
/// holds its records and its output, and no `Value` tree between. A node's field and link
/// names are distinct, so each key is written once.
pub(crate) struct RecordJson<'a> {
    pub node: &'a Node,
    pub record: &'a Record,
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (node, record) = (self.node, self.record);
        let fields = node.select.len().min(record.fields.len());
        let links = fields + node.hops.len().min(record.links.len());
        let count = links + usize::from(!record.counts.is_empty());
        // Entry `i` is field `i`, then link `i - fields`, then the counts. Their order, in
        // place for the usual few entries: this runs once per record written.
        let name = |i: usize| entry_name(node, fields, i);
        let mut inline = [0; 32];
        let mut spilled;
        let order: &mut [usize] = match inline.get_mut(..count) {
            Some(order) => order,
            None => {
                spilled = vec![0; count];
                &mut spilled
            }
        };
        for (i, slot) in order.iter_mut().enumerate() {
            *slot = i;
        }
        sort_keys(order, name);
        let mut map = serializer.serialize_map(Some(count))?;
        for &i in order.iter() {
            let key = name(i);
            match i.checked_sub(fields) {
                None => map.serialize_entry(key, &record.fields[i])?,
                Some(_) if i == links => map.serialize_entry(key, &CountsJson { node, record })?,
                Some(link) => {
                    let node = &node.hops[link].node;
                    match &record.links[link] {
                        Linked::One(None) => map.serialize_entry(key, &())?,
                        Linked::One(Some(record)) => {
                            map.serialize_entry(key, &RecordJson { node, record })?
                        }
                        Linked::Many(records) => {
                            map.serialize_entry(key, &RecordsJson { node, records })?
                        }
                    }
                }
            }
        }
        map.end()
    }
}

/// The key of entry `i` of a record of `node` whose first `fields` entries are fields:
/// a field, a link, or (last) its counts.
fn entry_name(node: &Node, fields: usize, i: usize) -> &'static str {
    match i.checked_sub(fields) {
        None => node.select[i].name,
        Some(link) => node.hops.get(link).map_or(COUNT_FIELD, |hop| hop.name),
    }
}

/// A record's counts of linked records, as a JSON object by link field.
struct CountsJson<'a> {
    node: &'a Node,
    record: &'a Record,
}

impl Serialize for CountsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let counts = &self.node.counts;
        let mut map = serializer.serialize_map(Some(counts.len()))?;
        for i in count_order(counts) {
            map.serialize_entry(counts[i].name, &self.record.counts[i])?;
        }
        map.end()
    }
}

/// The order of `counts` as the keys of a `serde_json` map, as for a record's entries.
pub(crate) fn count_order(counts: &[Count]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..counts.len()).collect();
    sort_keys(&mut order, |i| counts[i].name);
    order
}

/// Puts `order`, indexes of a record's entries, in the order a `serde_json` map keeps their
/// keys (`name` of each).
fn sort_keys<'n>(order: &mut [usize], name: impl Fn(usize) -> &'n str) {
    if !map_keeps_insertion_order() {
        order.sort_unstable_by_key(|&i| name(i));
    }
}

/// The order of a record of `node`'s entries (its output fields, then its links) as a
/// `serde_json` map keeps their keys, for writers that write many records of one node.
pub(crate) fn key_order(node: &Node) -> Vec<usize> {
    let entries = node.output + node.hops.len() + usize::from(!node.counts.is_empty());
    let mut order: Vec<usize> = (0..entries).collect();
    sort_keys(&mut order, |i| entry_name(node, node.output, i));
    order
}

/// Whether `serde_json`'s maps keep their keys in insertion order (its `preserve_order`
/// feature, which any crate of the build may turn on) rather than sorted.
fn map_keeps_insertion_order() -> bool {
    static KEEPS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KEEPS.get_or_init(|| {
        let mut map = Map::new();
        map.insert("b".to_owned(), Value::Null);
        map.insert("a".to_owned(), Value::Null);
        map.keys().next().map(String::as_str) == Some("b")
    })
}

/// Records of one node, as a JSON array written by serde.
pub(crate) struct RecordsJson<'a, R> {
    pub node: &'a Node,
    pub records: &'a [R],
}

impl<R: std::borrow::Borrow<Record>> Serialize for RecordsJson<'_, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.records.iter().map(|record| RecordJson {
            node: self.node,
            record: record.borrow(),
        }))
    }
}

/// A record as a serde [`Deserializer`]: a map of its fields and links, in the shape
/// [`to_json`] gives it, for a typed query's struct; and of its counts, each under the
/// name of the struct field that reads it (`keys`), where [`to_json`] nests them under
/// `_count`.
pub(crate) struct RecordDeserializer<'n> {
    node: &'n Node,
    keys: &'n CountKeys,
    record: Record,
}

impl<'n> RecordDeserializer<'n> {
    pub fn new(node: &'n Node, keys: &'n CountKeys, record: Record) -> Self {
        RecordDeserializer { node, keys, record }
    }
}

impl<'de> Deserializer<'de> for RecordDeserializer<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(Fields {
            node: self.node,
            keys: self.keys,
            fields: self.record.fields.into_iter(),
            links: self.record.links.into_iter(),
            counts: self.record.counts,
            next: 0,
            next_count: 0,
            pending: None,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The entries of a record: each field, then each link, then each count a struct field
/// reads.
struct Fields<'n> {
    node: &'n Node,
    keys: &'n CountKeys,
    fields: std::vec::IntoIter<Value>,
    links: std::vec::IntoIter<Linked>,
    counts: Vec<Value>,
    /// The index of the next entry, fields first.
    next: usize,
    /// The index of the next of `keys`' counts.
    next_count: usize,
    pending: Option<Entry<'n>>,
}

enum Entry<'n> {
    Field(Value),
    Link(&'n Node, &'n CountKeys, Linked),
}

impl Fields<'_> {
    /// The next count a struct field reads, under that field's name.
    fn next_count(&mut self) -> Option<(&'static str, Value)> {
        while let Some(&(link, key)) = self.keys.counts().get(self.next_count) {
            self.next_count += 1;
            let at = self.node.counts.iter().position(|count| count.name == link);
            if let Some(value) = at.and_then(|i| self.counts.get(i)) {
                return Some((key, value.clone()));
            }
        }
        None
    }
}

impl<'de, 'n> MapAccess<'de> for Fields<'n> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let (name, entry) = if let Some(value) = self.fields.next() {
            (self.node.select[self.next].name, Entry::Field(value))
        } else if let Some(linked) = self.links.next() {
            let hop = &self.node.hops[self.next - self.node.output];
            let keys = self.keys.of_link(hop.name);
            (hop.name, Entry::Link(&hop.node, keys, linked))
        } else if let Some((key, count)) = self.next_count() {
            (key, Entry::Field(count))
        } else {
            return Ok(None);
        };
        self.next += 1;
        self.pending = Some(entry);
        let key: StrDeserializer<'_, serde_json::Error> = name.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.pending.take() {
            Some(Entry::Field(value)) => seed.deserialize(value),
            Some(Entry::Link(node, keys, linked)) => {
                seed.deserialize(LinkedDeserializer { node, keys, linked })
            }
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        let counts = self.keys.counts().len().saturating_sub(self.next_count);
        Some(self.fields.len() + self.links.len() + counts)
    }
}

/// A link field: null or a record, or a list of records.
struct LinkedDeserializer<'n> {
    node: &'n Node,
    keys: &'n CountKeys,
    linked: Linked,
}

impl<'de> Deserializer<'de> for LinkedDeserializer<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.linked {
            Linked::One(None) => visitor.visit_unit(),
            Linked::One(Some(record)) => {
                RecordDeserializer::new(self.node, self.keys, take(record)).deserialize_any(visitor)
            }
            Linked::Many(records) => visitor.visit_seq(Records {
                node: self.node,
                keys: self.keys,
                records: records.into_iter(),
            }),
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.linked {
            Linked::One(None) => visitor.visit_none(),
            Linked::One(Some(record)) => {
                visitor.visit_some(RecordDeserializer::new(self.node, self.keys, take(record)))
            }
            many @ Linked::Many(_) => visitor.visit_some(LinkedDeserializer {
                node: self.node,
                keys: self.keys,
                linked: many,
            }),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The records of a list side.
struct Records<'n> {
    node: &'n Node,
    keys: &'n CountKeys,
    records: std::vec::IntoIter<Arc<Record>>,
}

impl<'de> SeqAccess<'de> for Records<'_> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        match self.records.next() {
            Some(record) => seed
                .deserialize(RecordDeserializer::new(self.node, self.keys, take(record)))
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.records.len())
    }
}
