//! One `show stat` row: a value per column of [`crate::fields::FIELDS`], with "empty" as a real
//! value so that renderers print nothing exactly where HAProxy prints nothing.

use crate::fields::{self, Kinds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Empty,
    S32(i32),
    U32(u32),
    U64(u64),
    Str(String),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Empty => "",
            Value::S32(_) => "s32",
            Value::U32(_) => "u32",
            Value::U64(_) => "u64",
            Value::Str(_) => "str",
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Empty => Ok(()),
            Value::S32(v) => write!(f, "{v}"),
            Value::U32(v) => write!(f, "{v}"),
            Value::U64(v) => write!(f, "{v}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// Which object a row describes, with the `type` column's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    Frontend,
    Backend,
    Server,
    Listener,
}

impl RowKind {
    /// The kind a `type` column value names (`0` frontend … `3` listener).
    pub fn from_type_column(t: &str) -> Option<RowKind> {
        match t {
            "0" => Some(RowKind::Frontend),
            "1" => Some(RowKind::Backend),
            "2" => Some(RowKind::Server),
            "3" => Some(RowKind::Listener),
            _ => None,
        }
    }

    pub fn type_number(self) -> u32 {
        match self {
            RowKind::Frontend => 0,
            RowKind::Backend => 1,
            RowKind::Server => 2,
            RowKind::Listener => 3,
        }
    }

    pub fn kinds(self) -> Kinds {
        match self {
            RowKind::Frontend => Kinds::F,
            RowKind::Backend => Kinds::B,
            RowKind::Server => Kinds::S,
            RowKind::Listener => Kinds::L,
        }
    }

    /// Letter used by `show stat typed`.
    pub fn letter(self) -> char {
        match self {
            RowKind::Frontend => 'F',
            RowKind::Backend => 'B',
            RowKind::Server => 'S',
            RowKind::Listener => 'L',
        }
    }

    /// `objType` in `show stat json`.
    pub fn json_name(self) -> &'static str {
        match self {
            RowKind::Frontend => "Frontend",
            RowKind::Backend => "Backend",
            RowKind::Server => "Server",
            RowKind::Listener => "Listener",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StatRow {
    pub kind: RowKind,
    /// Proxy id (`iid`) and object id (`sid`), repeated here for the typed/JSON prefixes.
    pub iid: u32,
    pub sid: u32,
    pub values: Vec<Value>,
}

impl StatRow {
    /// A row with every column empty but the identity columns HAProxy always fills.
    pub fn new(kind: RowKind, pxname: &str, svname: &str, iid: u32, sid: u32) -> StatRow {
        let mut values = vec![Value::Empty; fields::COUNT];
        values[fields::idx::PXNAME] = Value::Str(pxname.to_owned());
        values[fields::idx::SVNAME] = Value::Str(svname.to_owned());
        values[fields::idx::PID] = Value::U32(1);
        values[fields::idx::IID] = Value::U32(iid);
        values[fields::idx::SID] = Value::U32(sid);
        values[fields::idx::TYPE] = Value::U32(kind.type_number());
        StatRow {
            kind,
            iid,
            sid,
            values,
        }
    }

    pub fn set(&mut self, index: usize, value: Value) {
        if let Some(slot) = self.values.get_mut(index) {
            *slot = value;
        }
    }

    pub fn get(&self, index: usize) -> &Value {
        self.values.get(index).unwrap_or(&Value::Empty)
    }

    pub fn name(&self, index: usize) -> &str {
        match self.get(index) {
            Value::Str(s) => s,
            _ => "",
        }
    }
}
