//! Ruby's `Marshal` format 4.8, the subset RubyGems clients read: `nil`, booleans, integers,
//! UTF-8 strings, symbols, arrays, hashes, plain objects (`o`), `marshal_dump` objects (`U`:
//! `Gem::Version`, `Gem::Requirement`) and `_dump` objects (`u`: `Gem::Specification`). Written
//! the way Ruby writes them (repeated symbols as links, UTF-8 strings with their `E` ivar), so
//! `Marshal.load` reads them as it reads the public registry's. The decoder reads the same subset
//! (and object links), bounded in depth and length; it checks the encoder and reads sources' files.

use std::collections::HashMap;

/// A Ruby value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    /// A UTF-8 string (written with its encoding ivar).
    Str(String),
    /// A binary (ASCII-8BIT) string, such as the payload of a `_dump`.
    Bytes(Vec<u8>),
    Symbol(String),
    Array(Vec<Value>),
    Hash(Vec<(Value, Value)>),
    /// `o`: an object of `class` with its instance variables (names with their `@`).
    Object {
        class: String,
        ivars: Vec<(String, Value)>,
    },
    /// `U`: an object of `class` rebuilt by `marshal_load(data)`.
    UserMarshal {
        class: String,
        data: Box<Value>,
    },
    /// `u`: an object of `class` rebuilt by `_load(bytes)`.
    UserDef {
        class: String,
        bytes: Vec<u8>,
    },
}

impl Value {
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }

    pub fn sym(s: impl Into<String>) -> Self {
        Self::Symbol(s.into())
    }

    /// The string of a `Str` (or of a UTF-8 `Bytes`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            Self::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// `Marshal.dump(v)`.
pub fn dump(v: &Value) -> Vec<u8> {
    let mut w = Writer {
        out: vec![4, 8],
        symbols: HashMap::new(),
    };
    w.value(v);
    w.out
}

struct Writer {
    out: Vec<u8>,
    symbols: HashMap<String, usize>,
}

impl Writer {
    fn value(&mut self, v: &Value) {
        match v {
            Value::Nil => self.out.push(b'0'),
            Value::Bool(true) => self.out.push(b'T'),
            Value::Bool(false) => self.out.push(b'F'),
            Value::Int(n) if (-(1 << 30)..(1 << 30)).contains(n) => {
                self.out.push(b'i');
                self.int(*n);
            }
            // Larger integers are Bignums in Ruby; RubyGems' files never hold one.
            Value::Int(n) => self.value(&Value::Str(n.to_string())),
            Value::Str(s) => {
                self.out.extend_from_slice(b"I\"");
                self.bytes(s.as_bytes());
                self.int(1);
                self.symbol("E");
                self.out.push(b'T');
            }
            Value::Bytes(b) => {
                self.out.push(b'"');
                self.bytes(b);
            }
            Value::Symbol(s) => self.symbol(s),
            Value::Array(items) => {
                self.out.push(b'[');
                self.int(items.len() as i64);
                for item in items {
                    self.value(item);
                }
            }
            Value::Hash(pairs) => {
                self.out.push(b'{');
                self.int(pairs.len() as i64);
                for (k, v) in pairs {
                    self.value(k);
                    self.value(v);
                }
            }
            Value::Object { class, ivars } => {
                self.out.push(b'o');
                self.symbol(class);
                self.int(ivars.len() as i64);
                for (name, v) in ivars {
                    self.symbol(name);
                    self.value(v);
                }
            }
            Value::UserMarshal { class, data } => {
                self.out.push(b'U');
                self.symbol(class);
                self.value(data);
            }
            Value::UserDef { class, bytes } => {
                self.out.push(b'u');
                self.symbol(class);
                self.bytes(bytes);
            }
        }
    }

    fn symbol(&mut self, s: &str) {
        if let Some(&i) = self.symbols.get(s) {
            self.out.push(b';');
            self.int(i as i64);
        } else {
            self.symbols.insert(s.to_string(), self.symbols.len());
            self.out.push(b':');
            self.bytes(s.as_bytes());
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.int(b.len() as i64);
        self.out.extend_from_slice(b);
    }

    /// Marshal's packed integer (`w_long`).
    fn int(&mut self, n: i64) {
        match n {
            0 => self.out.push(0),
            1..=122 => self.out.push((n + 5) as u8),
            -123..=-1 => self.out.push(((n - 5) & 0xff) as u8),
            _ => {
                let mut bytes = Vec::new();
                let mut x = n;
                for _ in 0..4 {
                    bytes.push((x & 0xff) as u8);
                    x >>= 8;
                    if (n >= 0 && x == 0) || (n < 0 && x == -1) {
                        break;
                    }
                }
                let len = bytes.len() as i8;
                self.out.push(if n >= 0 { len as u8 } else { (-len) as u8 });
                self.out.extend_from_slice(&bytes);
            }
        }
    }
}

/// Deepest nesting the decoder follows.
const MAX_DEPTH: usize = 64;

/// `Marshal.load(bytes)` for the subset above; `Err` says what is wrong.
pub fn load(bytes: &[u8]) -> Result<Value, String> {
    let mut r = Reader {
        b: bytes,
        at: 0,
        symbols: Vec::new(),
        objects: Vec::new(),
    };
    if r.take(2)? != [4, 8] {
        return Err("not Marshal 4.8".into());
    }
    let v = r.value(0)?;
    if r.at != bytes.len() {
        return Err("trailing bytes after the value".into());
    }
    Ok(v)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    symbols: Vec<String>,
    objects: Vec<Value>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or("truncated")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn int(&mut self) -> Result<i64, String> {
        let c = self.byte()? as i8;
        Ok(match c {
            0 => 0,
            5..=127 => i64::from(c) - 5,
            -128..=-5 => i64::from(c) + 5,
            1..=4 => {
                let mut n = 0i64;
                for (i, b) in self.take(c as usize)?.iter().enumerate() {
                    n |= i64::from(*b) << (8 * i);
                }
                n
            }
            _ => {
                let len = (-c) as usize;
                let mut n = -1i64;
                for (i, b) in self.take(len)?.iter().enumerate() {
                    n &= !(0xff << (8 * i));
                    n |= i64::from(*b) << (8 * i);
                }
                n
            }
        })
    }

    fn len(&mut self) -> Result<usize, String> {
        let n = self.int()?;
        // Every element takes at least one byte: a longer length is a lie.
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.b.len() - self.at)
            .ok_or_else(|| format!("bad length {n}"))
    }

    fn raw(&mut self) -> Result<Vec<u8>, String> {
        let n = self.len()?;
        Ok(self.take(n)?.to_vec())
    }

    fn symbol(&mut self) -> Result<String, String> {
        match self.byte()? {
            b':' => {
                let s = String::from_utf8(self.raw()?).map_err(|_| "symbol not UTF-8")?;
                self.symbols.push(s.clone());
                Ok(s)
            }
            b';' => {
                let i = self.int()?;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.symbols.get(i).cloned())
                    .ok_or_else(|| format!("bad symbol link {i}"))
            }
            t => Err(format!("expected a symbol, found {:?}", t as char)),
        }
    }

    /// Registers an object for `@` links; returns its slot.
    fn slot(&mut self) -> usize {
        self.objects.push(Value::Nil);
        self.objects.len() - 1
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        let t = self.byte()?;
        let v = match t {
            b'0' => Value::Nil,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' => Value::Int(self.int()?),
            b':' | b';' => {
                self.at -= 1;
                Value::Symbol(self.symbol()?)
            }
            b'"' => {
                let slot = self.slot();
                let v = Value::Bytes(self.raw()?);
                self.objects[slot] = v.clone();
                v
            }
            b'I' => {
                let inner = self.value(depth + 1)?;
                let n = self.len()?;
                let mut utf8 = false;
                for _ in 0..n {
                    let name = self.symbol()?;
                    let v = self.value(depth + 1)?;
                    utf8 |= name == "E" && v == Value::Bool(true);
                }
                match inner {
                    Value::Bytes(b) if utf8 => {
                        Value::Str(String::from_utf8(b).map_err(|_| "string not UTF-8")?)
                    }
                    other => other,
                }
            }
            b'[' => {
                let slot = self.slot();
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                let v = Value::Array(items);
                self.objects[slot] = v.clone();
                v
            }
            b'{' => {
                let slot = self.slot();
                let n = self.len()?;
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    pairs.push((k, self.value(depth + 1)?));
                }
                let v = Value::Hash(pairs);
                self.objects[slot] = v.clone();
                v
            }
            b'o' => {
                let slot = self.slot();
                let class = self.symbol()?;
                let n = self.len()?;
                let mut ivars = Vec::with_capacity(n);
                for _ in 0..n {
                    let name = self.symbol()?;
                    ivars.push((name, self.value(depth + 1)?));
                }
                let v = Value::Object { class, ivars };
                self.objects[slot] = v.clone();
                v
            }
            b'U' => {
                let slot = self.slot();
                let class = self.symbol()?;
                let data = Box::new(self.value(depth + 1)?);
                let v = Value::UserMarshal { class, data };
                self.objects[slot] = v.clone();
                v
            }
            b'u' => {
                let class = self.symbol()?;
                let v = Value::UserDef {
                    class,
                    bytes: self.raw()?,
                };
                self.objects.push(v.clone());
                v
            }
            b'@' => {
                let i = self.int()?;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.objects.get(i).cloned())
                    .ok_or_else(|| format!("bad object link {i}"))?
            }
            t => return Err(format!("unsupported Marshal type {:?}", t as char)),
        };
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_pack_as_ruby_packs_them() {
        // Marshal.dump(n) in Ruby 3.1, after the 04 08 header.
        let cases: &[(i64, &[u8])] = &[
            (0, b"i\x00"),
            (1, b"i\x06"),
            (122, b"i\x7f"),
            (123, b"i\x01\x7b"),
            (255, b"i\x01\xff"),
            (256, b"i\x02\x00\x01"),
            (-1, b"i\xfa"),
            (-123, b"i\x80"),
            (-124, b"i\xff\x84"),
            (-256, b"i\xff\x00"),
            (-257, b"i\xfe\xff\xfe"),
            (70000, b"i\x03\x70\x11\x01"),
        ];
        for (n, want) in cases {
            let got = dump(&Value::Int(*n));
            assert_eq!(&got[2..], *want, "{n}");
            assert_eq!(load(&got), Ok(Value::Int(*n)));
        }
    }

    #[test]
    fn strings_symbols_and_links_are_ruby_bytes() {
        // Marshal.dump([:name, "kit", :name]) in Ruby 3.1.
        let v = Value::Array(vec![
            Value::sym("name"),
            Value::str("kit"),
            Value::sym("name"),
        ]);
        assert_eq!(
            dump(&v),
            b"\x04\x08[\x08:\x09nameI\"\x08kit\x06:\x06ET;\x00"
        );
        assert_eq!(load(&dump(&v)), Ok(v));
    }

    #[test]
    fn a_gem_version_round_trips() {
        // Marshal.dump(Gem::Version.new("1.0")) in Ruby 3.1.
        let v = Value::UserMarshal {
            class: "Gem::Version".into(),
            data: Box::new(Value::Array(vec![Value::str("1.0")])),
        };
        assert_eq!(
            dump(&v),
            b"\x04\x08U:\x11Gem::Version[\x06I\"\x081.0\x06:\x06ET"
        );
        assert_eq!(load(&dump(&v)), Ok(v));
    }

    #[test]
    fn nested_values_round_trip() {
        let v = Value::Array(vec![
            Value::Hash(vec![
                (Value::sym("name"), Value::str("kit")),
                (Value::sym("number"), Value::str("1.0.0")),
                (Value::sym("platform"), Value::str("ruby")),
                (Value::sym("dependencies"), Value::Array(vec![])),
            ]),
            Value::Object {
                class: "Gem::Dependency".into(),
                ivars: vec![
                    ("@name".into(), Value::str("core")),
                    ("@type".into(), Value::sym("runtime")),
                    ("@prerelease".into(), Value::Bool(false)),
                ],
            },
            Value::UserDef {
                class: "Gem::Specification".into(),
                bytes: dump(&Value::Array(vec![Value::Nil, Value::Int(4)])),
            },
            Value::Bytes(vec![0, 255]),
        ]);
        assert_eq!(load(&dump(&v)), Ok(v));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"\x04\x07",
            b"\x04\x08[\x7f",
            b"\x04\x08;\x00",
            b"\x04\x08@\x06",
            b"\x04\x08\"\x7f",
            b"\x04\x08i",
            b"\x04\x08i\x06i\x06",
            b"\x04\x08f\x061",
        ] {
            assert!(load(bad).is_err(), "{bad:?}");
        }
        let deep = [&b"\x04\x08"[..], &[b'[', 6].repeat(100), b"0"].concat();
        assert!(load(&deep).is_err());
    }
}
