//! The SQL guard: the model's answer runs only if its syntax tree (sqlparser, PostgreSQL
//! dialect) is exactly one read-only query over the reporting views calling only allow-listed
//! functions. Every relation, expression, identifier and nested query is visited; anything
//! not understood is refused. What runs is the rendering of the checked tree, never the raw
//! text, so comments and lexer tricks cannot smuggle in something the guard did not see.
//! The read-only transaction and the `ap_readonly` role stay in place behind it. What a query
//! may generate itself (series, padding, replacements) is bounded too (`bounds`): no query
//! the guard passes can ask for unbounded memory by construction, and recursive CTEs, whose
//! size nothing bounds, are refused.

mod bounds;

use std::collections::HashSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, FunctionArg, FunctionArguments, Ident, ObjectName,
    ObjectNamePart, Query, SetExpr, Statement, TableFactor, Value, ValueWithSpan, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::catalog::ViewCatalog;

/// Rows returned at most; one more is fetched to tell that the result was cut.
pub const MAX_ROWS: usize = 1_000;
/// Longest SQL the guard parses.
pub const MAX_SQL_CHARS: usize = 20_000;
/// The schema of the views.
pub const REPORTING_SCHEMA: &str = "reporting";

/// Functions a query may call: aggregates, window, date/time, string, math, conditional, and
/// the two set-returning functions useful in reports. Anything else (pg_sleep, pg_read_file,
/// dblink, lo_*, set_config, current_setting, nextval, txid_*, …) is refused.
pub const ALLOWED_FUNCTIONS: &[&str] = &[
    // aggregates
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "string_agg",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_slope",
    "regr_intercept",
    "regr_r2",
    "json_agg",
    "jsonb_agg",
    // window
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    // date and time
    "now",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "date_trunc",
    "date_part",
    "extract",
    "age",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "to_char",
    "to_date",
    "to_timestamp",
    "date_bin",
    "justify_days",
    "justify_hours",
    "justify_interval",
    "isfinite",
    "statement_timestamp",
    "transaction_timestamp",
    "timezone",
    // strings
    "lower",
    "upper",
    "initcap",
    "length",
    "char_length",
    "character_length",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "substr",
    "substring",
    "position",
    "strpos",
    "left",
    "right",
    "concat",
    "concat_ws",
    "replace",
    "split_part",
    "lpad",
    "rpad",
    "reverse",
    "regexp_replace",
    "regexp_match",
    "regexp_like",
    "starts_with",
    "to_number",
    "translate",
    // math
    "abs",
    "round",
    "ceil",
    "ceiling",
    "floor",
    "trunc",
    "sign",
    "mod",
    "power",
    "pow",
    "sqrt",
    "cbrt",
    "exp",
    "ln",
    "log",
    "log10",
    "div",
    "width_bucket",
    "pi",
    // conditional
    "coalesce",
    "nullif",
    "greatest",
    "least",
    // arrays and series
    "array_length",
    "cardinality",
    "array_position",
    "array_to_string",
    "generate_series",
    "unnest",
];

/// Types a value may be cast to. Object-identifier types (`regclass`, `regproc`, …) would
/// look names up in the catalogs and are left out with everything else.
const ALLOWED_TYPES: &[&str] = &[
    "smallint",
    "int",
    "int2",
    "int4",
    "int8",
    "integer",
    "bigint",
    "numeric",
    "decimal",
    "dec",
    "real",
    "float",
    "float4",
    "float8",
    "double precision",
    "double",
    "text",
    "varchar",
    "character varying",
    "char",
    "character",
    "date",
    "time",
    "time with time zone",
    "time without time zone",
    "timestamp",
    "timestamptz",
    "timestamp with time zone",
    "timestamp without time zone",
    "interval",
    "boolean",
    "bool",
    "string",
];

/// A checked query, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardedQuery {
    /// The checked statement as rendered from its syntax tree.
    pub sql: String,
    /// `sql` under the row-limit wrapper: what is executed.
    pub wrapped: String,
}

/// Why SQL was refused: for the log, never for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(reason.into()))
}

/// Checks `sql` against the views of `catalog`.
pub fn check(sql: &str, catalog: &ViewCatalog) -> Result<GuardedQuery, Refusal> {
    let statement = parse_one(sql)?;
    check_statement(&statement, catalog)?;
    let rendered = statement.to_string();
    // The rendering must read back as the same tree; otherwise what runs could differ from
    // what was checked.
    let again = parse_one(&rendered)?;
    if again.to_string() != rendered {
        return refuse("the checked statement does not render stably");
    }
    check_statement(&again, catalog)?;
    let wrapped = format!(
        "SELECT * FROM ({rendered}) AS q LIMIT {}",
        MAX_ROWS.saturating_add(1)
    );
    Ok(GuardedQuery {
        sql: rendered,
        wrapped,
    })
}

fn parse_one(sql: &str) -> Result<Statement, Refusal> {
    let sql = sql.trim();
    if sql.is_empty() {
        return refuse("empty SQL");
    }
    if sql.chars().count() > MAX_SQL_CHARS {
        return refuse("SQL too long");
    }
    if sql.contains('\0') {
        return refuse("NUL character in SQL");
    }
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .or_else(|e| refuse(format!("does not parse: {e}")))?;
    if statements.len() != 1 {
        return refuse(format!(
            "expected exactly one statement, found {}",
            statements.len()
        ));
    }
    statements
        .pop()
        .ok_or_else(|| Refusal("no statement".into()))
}

fn check_statement(statement: &Statement, catalog: &ViewCatalog) -> Result<(), Refusal> {
    if !matches!(statement, Statement::Query(_)) {
        return refuse("not a query");
    }
    let mut ctes = CteNames::default();
    let _ = statement.visit(&mut ctes);
    let mut checker = Checker {
        catalog,
        ctes: &ctes.0,
        series_rows: 1,
        replacing_calls: 0,
    };
    match statement.visit(&mut checker) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(refusal) => Err(refusal),
    }
}

/// How PostgreSQL folds an identifier: unquoted ones to lower case, quoted ones as written.
fn fold(ident: &Ident) -> String {
    if ident.quote_style.is_none() {
        ident.value.to_lowercase()
    } else {
        ident.value.clone()
    }
}

fn idents(name: &ObjectName) -> Option<Vec<&Ident>> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

/// Every CTE name anywhere in the statement.
#[derive(Default)]
struct CteNames(HashSet<String>);

impl Visitor for CteNames {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.0.insert(fold(&cte.alias.name));
            }
        }
        ControlFlow::Continue(())
    }
}

struct Checker<'a> {
    catalog: &'a ViewCatalog,
    ctes: &'a HashSet<String>,
    /// Rows of the query's series so far, multiplied together.
    series_rows: u64,
    replacing_calls: usize,
}

fn stop(reason: impl Into<String>) -> ControlFlow<Refusal> {
    ControlFlow::Break(Refusal(reason.into()))
}

fn flow(result: Result<(), Refusal>) -> ControlFlow<Refusal> {
    match result {
        Ok(()) => ControlFlow::Continue(()),
        Err(r) => ControlFlow::Break(r),
    }
}

impl Checker<'_> {
    /// A relation in FROM/JOIN: a reporting view (qualified or not) or a CTE of the query.
    /// Unqualified names outside a CTE's scope resolve through `search_path = reporting`
    /// (and pg_catalog, whose relations all start with `pg_`, which identifiers may not).
    fn relation(&self, name: &ObjectName) -> Result<(), Refusal> {
        let parts = idents(name).ok_or_else(|| Refusal("computed relation name".into()))?;
        match parts.as_slice() {
            [table] => {
                let table = fold(table);
                if self.ctes.contains(&table) || self.catalog.has_view(&table) {
                    Ok(())
                } else {
                    refuse(format!("relation {table:?} is not a reporting view"))
                }
            }
            [schema, table] => {
                let (schema, table) = (fold(schema), fold(table));
                if schema == REPORTING_SCHEMA && self.catalog.has_view(&table) {
                    Ok(())
                } else {
                    refuse(format!(
                        "relation {schema:?}.{table:?} is not a reporting view"
                    ))
                }
            }
            _ => refuse(format!("relation {name} has too many parts")),
        }
    }

    fn function(&mut self, name: &ObjectName, args: &[FunctionArg]) -> Result<(), Refusal> {
        let parts = idents(name).ok_or_else(|| Refusal("computed function name".into()))?;
        let [function] = parts.as_slice() else {
            return refuse(format!("schema-qualified function {name}"));
        };
        let function = fold(function);
        if !ALLOWED_FUNCTIONS.contains(&function.as_str()) {
            return refuse(format!("function {function:?} is not allowed"));
        }
        match function.as_str() {
            "generate_series" => {
                let rows = bounds::series_rows(&bounds::plain_args(args)?)?;
                self.series_rows = self.series_rows.saturating_mul(rows.max(1));
                if self.series_rows > bounds::MAX_SERIES_ROWS {
                    return refuse(format!(
                        "series of more than {} rows in all",
                        bounds::MAX_SERIES_ROWS
                    ));
                }
                Ok(())
            }
            "lpad" | "rpad" => bounds::pad(&bounds::plain_args(args)?),
            "replace" | "regexp_replace" => {
                self.replacing_calls += 1;
                if self.replacing_calls > bounds::MAX_REPLACING_CALLS {
                    return refuse("more than one replacing call");
                }
                bounds::replacement(&bounds::plain_args(args)?)
            }
            _ => Ok(()),
        }
    }

    fn data_type(&self, data_type: &DataType) -> Result<(), Refusal> {
        let rendered = data_type.to_string().to_lowercase();
        let mut base = String::new();
        let mut depth = 0usize;
        for c in rendered.chars() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                _ if depth == 0 => base.push(c),
                _ => {}
            }
        }
        let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
        if ALLOWED_TYPES.contains(&base.as_str()) {
            Ok(())
        } else {
            refuse(format!("cast to type {rendered:?} is not allowed"))
        }
    }

    fn set_expr(&self, body: &SetExpr) -> Result<(), Refusal> {
        match body {
            SetExpr::Select(select) => {
                if select.into.is_some() {
                    return refuse("SELECT INTO creates a table");
                }
                if !select.lateral_views.is_empty() || select.prewhere.is_some() {
                    return refuse("unsupported SELECT clause");
                }
                Ok(())
            }
            SetExpr::Query(_) | SetExpr::Values(_) => Ok(()),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left)?;
                self.set_expr(right)
            }
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                refuse("data-modifying statement inside the query")
            }
            SetExpr::Table(_) => refuse("TABLE statement"),
        }
    }
}

impl Visitor for Checker<'_> {
    type Break = Refusal;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<Refusal> {
        if matches!(statement, Statement::Query(_)) {
            ControlFlow::Continue(())
        } else {
            stop("nested statement that is not a query")
        }
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Refusal> {
        if query.with.as_ref().is_some_and(|w| w.recursive) {
            return stop("recursive CTE");
        }
        if !query.locks.is_empty() {
            return stop("row locks (FOR UPDATE/SHARE)");
        }
        if query.for_clause.is_some()
            || query.settings.is_some()
            || query.format_clause.is_some()
            || !query.pipe_operators.is_empty()
        {
            return stop("unsupported query clause");
        }
        flow(self.set_expr(&query.body))
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Refusal> {
        match factor {
            TableFactor::Table {
                name,
                args,
                with_hints,
                version,
                partitions,
                json_path,
                index_directives,
                ..
            } => {
                if !with_hints.is_empty()
                    || version.is_some()
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || !index_directives.is_empty()
                {
                    return stop("unsupported table modifier");
                }
                match args {
                    Some(args) => flow(self.function(name, &args.args)),
                    None => flow(self.relation(name)),
                }
            }
            TableFactor::Function { name, args, .. } => flow(self.function(name, args)),
            TableFactor::Derived { .. }
            | TableFactor::NestedJoin { .. }
            | TableFactor::UNNEST { .. } => ControlFlow::Continue(()),
            other => stop(format!("unsupported FROM item {other}")),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<Refusal> {
        match expr {
            Expr::Function(f) => {
                if !matches!(f.parameters, FunctionArguments::None) {
                    return stop("function parameters");
                }
                let args: &[FunctionArg] = match &f.args {
                    FunctionArguments::List(list) => &list.args,
                    FunctionArguments::None => &[],
                    FunctionArguments::Subquery(_) => {
                        return stop("subquery as function arguments");
                    }
                };
                flow(self.function(&f.name, args))
            }
            Expr::Cast { data_type, .. } => flow(self.data_type(data_type)),
            Expr::TypedString(typed) => flow(self.data_type(&typed.data_type)),
            Expr::BinaryOp {
                op: BinaryOperator::PGCustomBinaryOperator(_),
                ..
            } => stop("custom operator"),
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_value(&mut self, value: &ValueWithSpan) -> ControlFlow<Refusal> {
        match &value.value {
            Value::Placeholder(_) => stop("parameter placeholder"),
            _ => ControlFlow::Continue(()),
        }
    }

    /// No identifier may name the catalogs (`pg_*`, `information_schema`) or carry escapes
    /// or control characters, whatever position it is in.
    fn pre_visit_ident(&mut self, ident: &Ident) -> ControlFlow<Refusal> {
        if !matches!(ident.quote_style, None | Some('"')) {
            return stop(format!("identifier quoted with {:?}", ident.quote_style));
        }
        let folded = fold(ident).to_lowercase();
        if folded.starts_with("pg_") || folded == "information_schema" {
            return stop(format!("catalog identifier {folded:?}"));
        }
        if ident
            .value
            .chars()
            .any(|c| c.is_control() || c == '\\' || c == '&')
        {
            return stop("identifier with escape or control characters");
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::View;

    fn catalog() -> ViewCatalog {
        ViewCatalog::new(
            ["invoices", "vendors", "payments"]
                .iter()
                .map(|n| View {
                    name: (*n).to_owned(),
                    comment: None,
                    columns: Vec::new(),
                })
                .collect(),
        )
    }

    #[test]
    fn a_plain_aggregate_over_a_view_passes_and_is_wrapped_in_the_row_limit() {
        let q = check(
            "select vendor_name, sum(total_amount) from reporting.invoices group by 1;",
            &catalog(),
        )
        .expect("allowed");
        assert_eq!(
            q.wrapped,
            format!("SELECT * FROM ({}) AS q LIMIT 1001", q.sql)
        );
        assert!(!q.sql.ends_with(';'));
    }

    #[test]
    fn comments_never_reach_the_database() {
        let q = check(
            "SELECT count(*) /* ; DROP TABLE x */ FROM invoices -- ; DELETE FROM y",
            &catalog(),
        )
        .expect("allowed");
        assert!(
            !q.sql.contains("DROP") && !q.sql.contains("DELETE"),
            "{}",
            q.sql
        );
    }

    #[test]
    fn ctes_may_be_named_and_referenced() {
        check(
            "WITH big AS (SELECT * FROM invoices WHERE total_amount > 100) SELECT count(*) FROM big",
            &catalog(),
        )
        .expect("allowed");
    }

    #[test]
    fn recursive_ctes_are_refused() {
        let err = check(
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
            &catalog(),
        )
        .expect_err("unbounded");
        assert!(err.0.contains("recursive"), "{err}");
        let err = check(
            "SELECT * FROM (WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n FROM t) SELECT n FROM t) AS x",
            &catalog(),
        )
        .expect_err("nested");
        assert!(err.0.contains("recursive"), "{err}");
    }

    #[test]
    fn series_within_the_bound_pass() {
        for sql in [
            "SELECT g FROM generate_series(1, 5000) AS g",
            "SELECT generate_series(-10, 10, 5)",
            "SELECT d::date FROM generate_series(DATE '2026-01-01', DATE '2026-12-31', INTERVAL '1 day') AS d",
            "SELECT m FROM generate_series('2020-01-01'::date, '2026-01-01'::date, '1 month'::interval) AS m",
            "SELECT a, b FROM generate_series(1, 300) AS a, generate_series(1, 300) AS b",
        ] {
            check(sql, &catalog()).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    #[test]
    fn set_returning_generators_over_the_bound_are_refused() {
        for sql in [
            // Too many rows, alone or multiplied together.
            "SELECT g FROM generate_series(1, 100000000) AS g",
            "SELECT count(*) FROM generate_series(1, 1000) a, generate_series(1, 1000) b",
            "SELECT generate_series(1, 1000) * generate_series(1, 1000)",
            "SELECT count(*) FROM generate_series(DATE '1900-01-01', DATE '2100-01-01', INTERVAL '1 hour') AS d",
            // Bounds the guard cannot evaluate.
            "SELECT g FROM generate_series(1, (SELECT count(*) FROM invoices)) AS g",
            "SELECT g FROM generate_series(1, 10, 0) AS g",
            "SELECT d FROM generate_series(now(), now() + INTERVAL '1 day', INTERVAL '1 second') AS d",
        ] {
            let err = check(sql, &catalog()).expect_err(sql);
            assert!(err.0.contains("series"), "{sql}: {err}");
        }
    }

    #[test]
    fn strings_cannot_be_grown_without_bound() {
        check(
            "SELECT lpad(invoice_number, 12, '0') FROM invoices",
            &catalog(),
        )
        .expect("short pad");
        check(
            "SELECT replace(vendor_name, '-', ' - ') FROM invoices",
            &catalog(),
        )
        .expect("one replace");
        for sql in [
            "SELECT lpad('x', 1000000000)",
            "SELECT rpad('x', (SELECT count(*) FROM invoices)::int)",
            "SELECT replace(replace('a', 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa')",
            "WITH t AS (SELECT replace(vendor_name, 'a', 'aa') AS v FROM invoices) SELECT replace(v, 'a', 'aa') FROM t",
            "SELECT regexp_replace(vendor_name, '', vendor_name, 'g') FROM invoices",
            "SELECT format('%1000000000s', 'x')",
        ] {
            check(sql, &catalog()).expect_err(sql);
        }
    }

    #[test]
    fn refusals_name_their_reason() {
        let err = check("SELECT pg_sleep(1)", &catalog()).expect_err("refused");
        assert!(err.0.contains("pg_sleep"), "{err}");
        let err = check("SELECT * FROM auth.users", &catalog()).expect_err("refused");
        assert!(err.0.contains("auth"), "{err}");
    }
}
