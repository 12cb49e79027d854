//! Hardened XML reading: bytes in, a small namespace-aware element tree out.
//!
//! The tree is deliberately minimal (local name, namespace, attributes, direct text) because
//! both invoice syntaxes are data-centric: no mixed content matters to the mappers.

mod decode;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::error::{Error, Result};

/// Resource limits applied before and during XML reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes (PDF or XML). Default 10 MiB.
    pub max_input_bytes: usize,
    /// Deepest accepted element nesting. Default 64.
    pub max_depth: usize,
    /// Most elements accepted in one document. Default 200,000.
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 10 * 1024 * 1024,
            max_depth: 64,
            max_elements: 200_000,
        }
    }
}

#[derive(Debug)]
struct Element {
    ns: usize,
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<usize>,
}

/// A parsed document; element 0 is the root.
#[derive(Debug)]
pub(crate) struct Document {
    namespaces: Vec<String>,
    elements: Vec<Element>,
}

/// A borrowed handle on one element of a [`Document`].
#[derive(Clone, Copy)]
pub(crate) struct Node<'a> {
    doc: &'a Document,
    idx: usize,
}

impl Document {
    pub(crate) fn root(&self) -> Node<'_> {
        Node { doc: self, idx: 0 }
    }

    fn intern_ns(&mut self, uri: &str) -> usize {
        if let Some(i) = self.namespaces.iter().position(|n| n == uri) {
            return i;
        }
        self.namespaces.push(uri.to_owned());
        self.namespaces.len() - 1
    }
}

impl<'a> Node<'a> {
    fn el(&self) -> &'a Element {
        &self.doc.elements[self.idx]
    }

    /// Local name, without any prefix.
    pub(crate) fn name(&self) -> &'a str {
        &self.el().name
    }

    /// Namespace URI the element is bound to ("" when unbound).
    pub(crate) fn namespace(&self) -> &'a str {
        &self.doc.namespaces[self.el().ns]
    }

    /// Direct text content, trimmed.
    pub(crate) fn text(&self) -> &'a str {
        self.el().text.trim()
    }

    /// Attribute by local name.
    pub(crate) fn attr(&self, name: &str) -> Option<&'a str> {
        self.el()
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    pub(crate) fn children(self) -> impl Iterator<Item = Node<'a>> + 'a {
        let doc = self.doc;
        self.el().children.iter().map(move |&idx| Node { doc, idx })
    }

    /// Children with the given local name.
    pub(crate) fn all(self, name: &'a str) -> impl Iterator<Item = Node<'a>> + 'a {
        self.children().filter(move |c| c.name() == name)
    }

    /// First child with the given local name.
    pub(crate) fn child(&self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// Follows a chain of local names, taking the first match at each step.
    pub(crate) fn path(&self, path: &[&str]) -> Option<Node<'a>> {
        path.iter().try_fold(*self, |node, step| node.child(step))
    }

    /// Text at the end of `path`, if present and not blank.
    pub(crate) fn text_at(&self, path: &[&str]) -> Option<&'a str> {
        self.path(path).map(|n| n.text()).filter(|t| !t.is_empty())
    }

    /// Owned variant of [`Node::text_at`], the form the model stores.
    pub(crate) fn string_at(&self, path: &[&str]) -> Option<String> {
        self.text_at(path).map(str::to_owned)
    }
}

/// Reads `bytes` as XML under `limits`, refusing any DTD.
pub(crate) fn parse_document(bytes: &[u8], limits: &Limits) -> Result<Document> {
    if bytes.len() > limits.max_input_bytes {
        return Err(Error::TooLarge {
            size: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let text = decode::to_utf8(bytes)?;
    build(&text, limits)
}

fn build(text: &str, limits: &Limits) -> Result<Document> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut doc = Document {
        namespaces: vec![String::new()],
        elements: Vec::new(),
    };
    let mut stack: Vec<usize> = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(xml_err)?;
        let ns_idx = match ns {
            ResolveResult::Bound(n) => Some(n.0.to_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => {
                return Err(Error::Xml(format!("undeclared namespace prefix {p:?}")));
            }
        };
        match event {
            Event::DocType(_) => return Err(Error::XmlForbidden("DTD")),
            Event::Start(e) => {
                let idx = open(&mut doc, &stack, ns_idx.as_deref(), &e, limits)?;
                stack.push(idx);
                if stack.len() > limits.max_depth {
                    return Err(Error::TooDeep {
                        limit: limits.max_depth,
                    });
                }
            }
            Event::Empty(e) => {
                if stack.len() + 1 > limits.max_depth {
                    return Err(Error::TooDeep {
                        limit: limits.max_depth,
                    });
                }
                open(&mut doc, &stack, ns_idx.as_deref(), &e, limits)?;
            }
            Event::End(_) => {
                if let Some(idx) = stack.pop() {
                    tidy_lines(&mut doc.elements[idx].text);
                }
            }
            Event::Text(t) => {
                if let Some(&top) = stack.last() {
                    doc.elements[top].text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(&top) = stack.last() {
                    doc.elements[top].text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = resolve_ref(&r)?;
                if let Some(&top) = stack.last() {
                    doc.elements[top].text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(Error::Xml(
            "unexpected end of input inside an element".into(),
        ));
    }
    if doc.elements.is_empty() {
        return Err(Error::Xml("no root element".into()));
    }
    Ok(doc)
}

fn open(
    doc: &mut Document,
    stack: &[usize],
    ns: Option<&str>,
    e: &BytesStart<'_>,
    limits: &Limits,
) -> Result<usize> {
    if stack.is_empty() && !doc.elements.is_empty() {
        return Err(Error::Xml("more than one root element".into()));
    }
    if doc.elements.len() >= limits.max_elements {
        return Err(Error::TooManyElements {
            limit: limits.max_elements,
        });
    }
    let ns = match ns {
        Some(uri) => doc.intern_ns(uri),
        None => 0,
    };
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| Error::Xml(e.to_string()))?;
        let key = attr.key.local_name();
        let key: &str = key.as_ref();
        if attr.key.as_ref().starts_with("xmlns") {
            continue;
        }
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(xml_err)?;
        attrs.push((key.to_owned(), value.into_owned()));
    }
    let local = e.local_name();
    let name: &str = local.as_ref();
    let idx = doc.elements.len();
    doc.elements.push(Element {
        ns,
        name: name.to_owned(),
        attrs,
        text: String::new(),
        children: Vec::new(),
    });
    if let Some(&parent) = stack.last() {
        doc.elements[parent].children.push(idx);
    }
    Ok(idx)
}

/// Multi-line free text (notes, payment terms) carries the producer's indentation after each
/// line break; that indentation is layout, not content, and differs between syntaxes.
fn tidy_lines(text: &mut String) {
    if text.contains('\n') && text.contains(|c: char| !c.is_whitespace()) {
        let tidy: Vec<&str> = text.trim().lines().map(str::trim).collect();
        *text = tidy.join("\n");
    }
}

fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<String> {
    if let Some(c) = r.resolve_char_ref().map_err(xml_err)? {
        return Ok(c.to_string());
    }
    let name = r.xml10_content();
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| Error::Xml(format!("undefined entity &{name};")))
}

fn xml_err(e: impl std::fmt::Display) -> Error {
    Error::Xml(e.to_string())
}

/// Decoded text for a quick root-element sniff; `None` when the encoding is unreadable.
pub(crate) fn decode_for_sniff(bytes: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    decode::to_utf8(bytes).ok()
}
