//! A statement of its own, free of any driver: SQL text with its bound values in order. Built with
//! the same calls as sqlx's `QueryBuilder` (`push`, `push_bind`, `separated`, `push_values`), and
//! rendered by each backend its own way: `?` placeholders for SQLite ([`Stmt::sql`]), `$1, $2, …`
//! for PostgreSQL ([`Stmt::numbered_sql`]).

use std::fmt::{Display, Write};

/// A bound value. Text that may be absent binds as [`Value::Null`] (a text NULL on PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// SQL text with `?` placeholders and the values they bind, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stmt {
    sql: String,
    /// Byte offset of each `?` placeholder in `sql`.
    marks: Vec<usize>,
    binds: Vec<Value>,
}

impl Stmt {
    pub fn new(sql: impl Display) -> Self {
        let mut s = Stmt::default();
        s.push(sql);
        s
    }

    /// Appends SQL text (never a value: values go through [`Stmt::push_bind`]).
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        write!(self.sql, "{sql}").expect("writing to a String");
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn push_bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.marks.push(self.sql.len());
        self.sql.push('?');
        self.binds.push(value.into());
        self
    }

    /// Pushes that put `separator` between the items they add, like sqlx's `Separated`.
    pub fn separated(&mut self, separator: &'static str) -> Separated<'_> {
        Separated {
            stmt: self,
            separator,
            first: true,
        }
    }

    /// Appends `VALUES (…), (…)`: one parenthesised row per item, filled by `row`.
    pub fn push_values<I>(&mut self, items: I, mut row: impl FnMut(Separated<'_>, I::Item))
    where
        I: IntoIterator,
    {
        self.push("VALUES ");
        for (n, item) in items.into_iter().enumerate() {
            if n > 0 {
                self.push(", ");
            }
            self.push("(");
            row(self.separated(", "), item);
            self.push(")");
        }
    }

    /// The SQL with `?` placeholders (SQLite).
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The SQL with numbered placeholders `$1, $2, …` (PostgreSQL).
    pub fn numbered_sql(&self) -> String {
        let mut out = String::with_capacity(self.sql.len() + 2 * self.marks.len());
        let mut from = 0;
        for (n, &mark) in self.marks.iter().enumerate() {
            out.push_str(&self.sql[from..mark]);
            write!(out, "${}", n + 1).expect("writing to a String");
            from = mark + 1;
        }
        out.push_str(&self.sql[from..]);
        out
    }

    /// The bound values, in placeholder order.
    pub fn binds(&self) -> &[Value] {
        &self.binds
    }
}

/// See [`Stmt::separated`].
pub struct Separated<'s> {
    stmt: &'s mut Stmt,
    separator: &'static str,
    first: bool,
}

impl Separated<'_> {
    fn separate(&mut self) {
        if !std::mem::replace(&mut self.first, false) {
            self.stmt.push(self.separator);
        }
    }

    /// Appends `sql`, after a separator unless it is the first item.
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        self.separate();
        self.stmt.push(sql);
        self
    }

    /// Appends a placeholder, after a separator unless it is the first item.
    pub fn push_bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.separate();
        self.stmt.push_bind(value);
        self
    }

    /// Appends a placeholder right after the previous item (`column = ?`).
    pub fn push_bind_unseparated(&mut self, value: impl Into<Value>) -> &mut Self {
        self.stmt.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_placeholder_styles_in_bind_order() {
        let mut s = Stmt::new("SELECT a FROM t WHERE x = ");
        s.push_bind(1_i64).push(" AND y IN (");
        s.separated(", ").push_bind("a").push_bind(None::<&str>);
        s.push(")");
        assert_eq!(s.sql(), "SELECT a FROM t WHERE x = ? AND y IN (?, ?)");
        assert_eq!(
            s.numbered_sql(),
            "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)"
        );
        assert_eq!(
            s.binds(),
            [Value::Int(1), Value::Text("a".into()), Value::Null]
        );
    }

    #[test]
    fn values_rows_and_unseparated_binds() {
        let mut s = Stmt::new("INSERT INTO t (a, b) ");
        s.push_values([(1_i64, "x"), (2, "y")], |mut row, (a, b)| {
            row.push_bind(a).push_bind(b);
        });
        assert_eq!(
            s.numbered_sql(),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        let mut u = Stmt::new("UPDATE t SET ");
        u.separated(", ")
            .push("a = ")
            .push_bind_unseparated(1_i64)
            .push("b = ")
            .push_bind_unseparated("z");
        assert_eq!(u.sql(), "UPDATE t SET a = ?, b = ?");
    }
}
