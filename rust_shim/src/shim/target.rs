//! Where a session's store lives: a SQLite file (a path) or a PostgreSQL database (a
//! `postgresql://` URL), as `PersistenceLayer` takes it.
//!
//! A URL may carry a password (in its authority or a `password=` parameter); what this type
//! prints (`Display`, `Debug`) never shows it. libpq's own sources of a password (`PGPASSWORD`, a
//! password file) keep it out of the URL altogether.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The URL schemes of a PostgreSQL database (libpq's).
const SCHEMES: [&str; 2] = ["postgresql://", "postgres://"];

/// A session's database: a SQLite file or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreTarget {
    /// A SQLite file (created if missing when a session is opened).
    Sqlite(PathBuf),
    /// A `postgresql://` (or `postgres://`) URL; the schema is the URL's `search_path`.
    Postgres(String),
}

impl StoreTarget {
    /// A URL if `text` starts with a PostgreSQL scheme, else a path.
    pub fn parse(text: impl AsRef<OsStr>) -> Self {
        let text = text.as_ref();
        match text.to_str() {
            Some(s) if SCHEMES.iter().any(|scheme| s.starts_with(scheme)) => {
                StoreTarget::Postgres(s.to_owned())
            }
            _ => StoreTarget::Sqlite(PathBuf::from(text)),
        }
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self, StoreTarget::Postgres(_))
    }

    /// The SQLite file, if this is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            StoreTarget::Sqlite(path) => Some(path),
            StoreTarget::Postgres(_) => None,
        }
    }

    /// Whether the URL carries a password (never for a path).
    pub fn has_password(&self) -> bool {
        match self {
            StoreTarget::Sqlite(_) => false,
            StoreTarget::Postgres(url) => redact(url) != *url,
        }
    }

    /// The text `PersistenceLayer` takes: the path, or the whole URL, password included if it
    /// has one. Hand it to the store only; print the target itself (`Display`) instead.
    pub fn connect_text(&self) -> Cow<'_, str> {
        match self {
            StoreTarget::Sqlite(path) => path.to_string_lossy(),
            StoreTarget::Postgres(url) => Cow::Borrowed(url),
        }
    }

    /// How messages name the database: the path, or the URL without its password.
    pub fn redacted(&self) -> String {
        match self {
            StoreTarget::Sqlite(path) => path.display().to_string(),
            StoreTarget::Postgres(url) => redact(url),
        }
    }
}

/// The URL with `***` for the password of its authority (`user:secret@host`) and for the value
/// of every `password=` parameter.
fn redact(url: &str) -> String {
    let Some(scheme) = SCHEMES.iter().find(|s| url.starts_with(**s)) else {
        return url.to_owned();
    };
    let rest = &url[scheme.len()..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, _)) if key == "password" => format!("{key}=***"),
                    _ => param.to_owned(),
                })
                .collect();
            let mut out = format!("{path}?{}", params.join("&"));
            if let Some(fragment) = fragment {
                out.push('#');
                out.push_str(fragment);
            }
            out
        }
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

impl std::fmt::Display for StoreTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Debug for StoreTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreTarget::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            StoreTarget::Postgres(url) => f.debug_tuple("Postgres").field(&redact(url)).finish(),
        }
    }
}

impl From<&Path> for StoreTarget {
    fn from(path: &Path) -> Self {
        StoreTarget::Sqlite(path.to_path_buf())
    }
}

impl From<&PathBuf> for StoreTarget {
    fn from(path: &PathBuf) -> Self {
        StoreTarget::Sqlite(path.clone())
    }
}

impl From<PathBuf> for StoreTarget {
    fn from(path: PathBuf) -> Self {
        StoreTarget::Sqlite(path)
    }
}

impl From<&str> for StoreTarget {
    /// A URL or a path, as `parse`.
    fn from(text: &str) -> Self {
        StoreTarget::parse(text)
    }
}

impl From<&StoreTarget> for StoreTarget {
    fn from(target: &StoreTarget) -> Self {
        target.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_are_told_apart() {
        assert!(StoreTarget::parse("postgresql://u@/db?host=/tmp").is_postgres());
        assert!(StoreTarget::parse("postgres://h/db").is_postgres());
        assert_eq!(
            StoreTarget::parse("var/demo.sqlite"),
            StoreTarget::Sqlite(PathBuf::from("var/demo.sqlite"))
        );
        // A relative path that merely contains the word stays a path.
        assert!(!StoreTarget::parse("./postgresql://x").is_postgres());
    }

    #[test]
    fn a_password_is_never_shown() {
        for (url, shown) in [
            (
                "postgresql://ann:s3cret@db.example:5432/wm?sslmode=verify-full",
                "postgresql://ann:***@db.example:5432/wm?sslmode=verify-full",
            ),
            (
                "postgresql://ann@/wm?host=/run/pg&password=s3cret&sslmode=disable",
                "postgresql://ann@/wm?host=/run/pg&password=***&sslmode=disable",
            ),
            ("postgres://ann:p%40ss@h/wm", "postgres://ann:***@h/wm"),
        ] {
            let target = StoreTarget::parse(url);
            assert!(target.has_password(), "{url}");
            assert_eq!(target.to_string(), shown);
            assert!(!format!("{target:?}").contains("s3cret"));
            assert!(!format!("{target:?}").contains("p%40ss"));
        }
        let plain = StoreTarget::parse("postgresql://ann@/wm?host=/run/pg&sslmode=require");
        assert!(!plain.has_password());
        assert_eq!(
            plain.to_string(),
            "postgresql://ann@/wm?host=/run/pg&sslmode=require"
        );
        assert_eq!(plain.connect_text(), plain.to_string());
    }
}
