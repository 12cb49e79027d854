//! The reporting views as the model and the guard see them: names, columns, types and the
//! `COMMENT ON` texts, read from the database so the prompt never drifts from the views.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub name: String,
    pub comment: Option<String>,
    pub columns: Vec<Column>,
}

/// Every view of schema `reporting`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewCatalog {
    views: Vec<View>,
}

impl ViewCatalog {
    pub fn new(views: Vec<View>) -> Self {
        Self { views }
    }

    pub fn views(&self) -> &[View] {
        &self.views
    }

    /// True when `name` (already case-folded as PostgreSQL would) is a reporting view.
    pub fn has_view(&self, name: &str) -> bool {
        self.views.iter().any(|v| v.name == name)
    }

    /// The schema description for the prompt: one block per view, one line per column.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for view in &self.views {
            let _ = write!(out, "reporting.{}", view.name);
            if let Some(c) = &view.comment {
                let _ = write!(out, " -- {c}");
            }
            out.push('\n');
            for col in &view.columns {
                let _ = write!(out, "  {} {}", col.name, col.data_type);
                if let Some(c) = &col.comment {
                    let _ = write!(out, " -- {c}");
                }
                out.push('\n');
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_every_view_and_column_with_its_comment() {
        let catalog = ViewCatalog::new(vec![View {
            name: "invoices".into(),
            comment: Some("Supplier invoices".into()),
            columns: vec![Column {
                name: "total_amount".into(),
                data_type: "numeric(18,4)".into(),
                comment: Some("Gross total".into()),
            }],
        }]);
        assert_eq!(
            catalog.describe(),
            "reporting.invoices -- Supplier invoices\n  total_amount numeric(18,4) -- Gross total\n\n"
        );
        assert!(catalog.has_view("invoices"));
        assert!(!catalog.has_view("users"));
    }
}
