//! The `show info` key table: HAProxy 2.6's `info_fields[]` in order, with typed tags.
//!
//! Monitoring tools refuse to start when a key they expect is missing, so every key HAProxy 2.6
//! prints is listed; proxyd fills each one with a measured value (or the value that is true for a
//! process with no such subsystem, e.g. zero SSL connections for a proxy that never terminates TLS).

use crate::fields::ValueType;

#[derive(Debug, Clone, Copy)]
pub struct InfoField {
    /// Typed position (gaps are keys HAProxy leaves empty, which the plain output skips).
    pub pos: usize,
    pub name: &'static str,
    pub tags: &'static str,
    pub vtype: ValueType,
}

macro_rules! info {
    ($($pos:literal $name:literal $tags:literal $vt:ident;)*) => {
        pub const INFO_FIELDS: &[InfoField] = &[
            $(InfoField { pos: $pos, name: $name, tags: $tags, vtype: ValueType::$vt },)*
        ];
    };
}

info! {
    0 "Name" "POS" Str;
    1 "Version" "POS" Str;
    2 "Release_date" "POS" Str;
    3 "Nbthread" "CGS" U32;
    4 "Nbproc" "CGS" U32;
    5 "Process_num" "KGP" U32;
    6 "Pid" "SGP" U32;
    7 "Uptime" "MDP" Str;
    8 "Uptime_sec" "MDP" U32;
    9 "Memmax_MB" "CLP" U32;
    10 "PoolAlloc_MB" "MGP" U32;
    11 "PoolUsed_MB" "MGP" U32;
    12 "PoolFailed" "MCP" U32;
    13 "Ulimit-n" "CLP" U32;
    14 "Maxsock" "CLP" U32;
    15 "Maxconn" "CLP" U32;
    16 "Hard_maxconn" "CLP" U32;
    17 "CurrConns" "MGP" U32;
    18 "CumConns" "MCP" U32;
    19 "CumReq" "MCP" U32;
    20 "MaxSslConns" "MMP" U32;
    21 "CurrSslConns" "MGP" U32;
    22 "CumSslConns" "MCP" U32;
    23 "Maxpipes" "CLP" U32;
    24 "PipesUsed" "MGP" U32;
    25 "PipesFree" "MGP" U32;
    26 "ConnRate" "MRP" U32;
    27 "ConnRateLimit" "CLP" U32;
    28 "MaxConnRate" "MMP" U32;
    29 "SessRate" "MRP" U32;
    30 "SessRateLimit" "CLP" U32;
    31 "MaxSessRate" "MRP" U32;
    32 "SslRate" "MRP" U32;
    33 "SslRateLimit" "CLP" U32;
    34 "MaxSslRate" "MMP" U32;
    35 "SslFrontendKeyRate" "MGP" U32;
    36 "SslFrontendMaxKeyRate" "MMP" U32;
    37 "SslFrontendSessionReuse_pct" "MGP" U32;
    38 "SslBackendKeyRate" "MRP" U32;
    39 "SslBackendMaxKeyRate" "MMP" U32;
    40 "SslCacheLookups" "MCP" U32;
    41 "SslCacheMisses" "MCP" U32;
    42 "CompressBpsIn" "MRP" U32;
    43 "CompressBpsOut" "MRP" U32;
    44 "CompressBpsRateLim" "CLP" U32;
    45 "ZlibMemUsage" "MGP" U32;
    46 "MaxZlibMemUsage" "CLP" U32;
    47 "Tasks" "MGP" U32;
    48 "Run_queue" "MGP" U32;
    49 "Idle_pct" "MaP" U32;
    50 "node" "COS" Str;
    51 "description" "COS" Str;
    52 "Stopping" "MGP" U32;
    53 "Jobs" "MGP" U32;
    54 "Unstoppable Jobs" "MGP" U32;
    55 "Listeners" "MGP" U32;
    56 "ActivePeers" "MGP" U32;
    57 "ConnectedPeers" "MGP" U32;
    58 "DroppedLogs" "MGP" U32;
    59 "BusyPolling" "MGP" U32;
    60 "FailedResolutions" "MGP" U32;
    61 "TotalBytesOut" "MGP" U64;
    62 "TotalSplicdedBytesOut" "MGP" U64;
    63 "BytesOutRate" "MRP" U64;
    64 "DebugCommandsIssued" "MGP" U32;
    65 "CumRecvLogs" "MCP" U32;
    66 "Build info" "POS" Str;
    67 "Memmax_bytes" "CLP" U32;
    68 "PoolAlloc_bytes" "MGP" U64;
    69 "PoolUsed_bytes" "MGP" U64;
    70 "Start_time_sec" "MDP" U32;
    71 "Tainted" "SGP" Str;
}

pub fn position(name: &str) -> Option<usize> {
    INFO_FIELDS.iter().position(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_increasing_and_names_unique() {
        for w in INFO_FIELDS.windows(2) {
            assert!(w[0].pos < w[1].pos);
        }
        for (i, f) in INFO_FIELDS.iter().enumerate() {
            assert_eq!(position(f.name), Some(i));
        }
    }
}
