//! Error type shared by every parser in the crate.

/// Everything that can go wrong while turning bytes into an [`crate::Invoice`].
///
/// Messages are lowercase so they compose inside larger error chains.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input holds no bytes at all.
    #[error("input is empty")]
    Empty,
    /// The input is larger than [`crate::Limits::max_input_bytes`].
    #[error("input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// Elements are nested deeper than [`crate::Limits::max_depth`].
    #[error("xml nesting exceeds the depth limit of {limit}")]
    TooDeep { limit: usize },
    /// The document has more elements than [`crate::Limits::max_elements`].
    #[error("xml has more than {limit} elements")]
    TooManyElements { limit: usize },
    /// A construct refused on purpose (a DTD, which enables XXE and entity expansion bombs).
    #[error("forbidden xml construct: {0}")]
    XmlForbidden(&'static str),
    /// The XML is not well-formed.
    #[error("malformed xml: {0}")]
    Xml(String),
    /// The bytes are in a character encoding the crate does not read.
    #[error("unsupported character encoding: {0}")]
    Encoding(String),
    /// Well-formed XML, but an order, a despatch advice or anything else that is no invoice.
    #[error("not an invoice: {0}")]
    NotAnInvoice(String),
    /// An invoice syntax or input format the crate does not read.
    #[error("unsupported document: {0}")]
    Unsupported(String),
    /// A business term the canonical model requires is absent.
    #[error("missing required field: {0}")]
    MissingField(&'static str),
    /// A business term is present but its text cannot be read (bad number, bad date).
    #[error("invalid value for {field}: {value:?}")]
    InvalidValue { field: &'static str, value: String },
    /// The PDF container could not be read.
    #[error("invalid pdf: {0}")]
    Pdf(String),
    /// The PDF breaks a bound of [`crate::PdfLimits`] (a decompression bomb, absurd page or
    /// object counts); the message is fit to show to the uploader.
    #[error("{0}")]
    PdfLimit(#[from] crate::PdfLimit),
    /// The PDF is readable but carries no e-invoice XML attachment.
    #[error("pdf carries no embedded e-invoice xml")]
    NoEmbeddedXml,
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;
