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
    /// HAProxy's description (`show info desc`).
    pub desc: &'static str,
}

macro_rules! info {
    ($($pos:literal $name:literal $tags:literal $vt:ident $desc:literal;)*) => {
        pub const INFO_FIELDS: &[InfoField] = &[
            $(InfoField { pos: $pos, name: $name, tags: $tags, vtype: ValueType::$vt, desc: $desc },)*
        ];
    };
}

info! {
    0 "Name" "POS" Str "Product name";
    1 "Version" "POS" Str "Product version";
    2 "Release_date" "POS" Str "Date of latest source code update";
    3 "Nbthread" "CGS" U32 "Number of started threads (global.nbthread)";
    4 "Nbproc" "CGS" U32 "Number of started worker processes (historical, always 1)";
    5 "Process_num" "KGP" U32 "Relative worker process number (1)";
    6 "Pid" "SGP" U32 "This worker process identifier for the system";
    7 "Uptime" "MDP" Str "How long ago this worker process was started (days+hours+minutes+seconds)";
    8 "Uptime_sec" "MDP" U32 "How long ago this worker process was started (seconds)";
    9 "Memmax_MB" "CLP" U32 "Worker process's hard limit on memory usage in MB (-m on command line)";
    10 "PoolAlloc_MB" "MGP" U32 "Amount of memory allocated in pools (in MB)";
    11 "PoolUsed_MB" "MGP" U32 "Amount of pool memory currently used (in MB)";
    12 "PoolFailed" "MCP" U32 "Number of failed pool allocations since this worker was started";
    13 "Ulimit-n" "CLP" U32 "Hard limit on the number of per-process file descriptors";
    14 "Maxsock" "CLP" U32 "Hard limit on the number of per-process sockets";
    15 "Maxconn" "CLP" U32 "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)";
    16 "Hard_maxconn" "CLP" U32 "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)";
    17 "CurrConns" "MGP" U32 "Current number of connections on this worker process";
    18 "CumConns" "MCP" U32 "Total number of connections on this worker process since started";
    19 "CumReq" "MCP" U32 "Total number of requests on this worker process since started";
    20 "MaxSslConns" "MMP" U32 "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited";
    21 "CurrSslConns" "MGP" U32 "Current number of SSL endpoints on this worker process (front+back)";
    22 "CumSslConns" "MCP" U32 "Total number of SSL endpoints on this worker process since started (front+back)";
    23 "Maxpipes" "CLP" U32 "Hard limit on the number of pipes for splicing, 0=unlimited";
    24 "PipesUsed" "MGP" U32 "Current number of pipes in use in this worker process";
    25 "PipesFree" "MGP" U32 "Current number of allocated and available pipes in this worker process";
    26 "ConnRate" "MRP" U32 "Number of front connections created on this worker process over the last second";
    27 "ConnRateLimit" "CLP" U32 "Hard limit for ConnRate (global.maxconnrate)";
    28 "MaxConnRate" "MMP" U32 "Highest ConnRate reached on this worker process since started (in connections per second)";
    29 "SessRate" "MRP" U32 "Number of sessions created on this worker process over the last second";
    30 "SessRateLimit" "CLP" U32 "Hard limit for SessRate (global.maxsessrate)";
    31 "MaxSessRate" "MRP" U32 "Highest SessRate reached on this worker process since started (in sessions per second)";
    32 "SslRate" "MRP" U32 "Number of SSL connections created on this worker process over the last second";
    33 "SslRateLimit" "CLP" U32 "Hard limit for SslRate (global.maxsslrate)";
    34 "MaxSslRate" "MMP" U32 "Highest SslRate reached on this worker process since started (in connections per second)";
    35 "SslFrontendKeyRate" "MGP" U32 "Number of SSL keys created on frontends in this worker process over the last second";
    36 "SslFrontendMaxKeyRate" "MMP" U32 "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)";
    37 "SslFrontendSessionReuse_pct" "MGP" U32 "Percent of frontend SSL connections which did not require a new key";
    38 "SslBackendKeyRate" "MRP" U32 "Number of SSL keys created on backends in this worker process over the last second";
    39 "SslBackendMaxKeyRate" "MMP" U32 "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)";
    40 "SslCacheLookups" "MCP" U32 "Total number of SSL session ID lookups in the SSL session cache on this worker since started";
    41 "SslCacheMisses" "MCP" U32 "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started";
    42 "CompressBpsIn" "MRP" U32 "Number of bytes submitted to the HTTP compressor in this worker process over the last second";
    43 "CompressBpsOut" "MRP" U32 "Number of bytes emitted by the HTTP compressor in this worker process over the last second";
    44 "CompressBpsRateLim" "CLP" U32 "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled";
    45 "ZlibMemUsage" "MGP" U32 "Amount of memory currently used by HTTP compression on the current worker process (in bytes)";
    46 "MaxZlibMemUsage" "CLP" U32 "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)";
    47 "Tasks" "MGP" U32 "Total number of tasks in the current worker process (active + sleeping)";
    48 "Run_queue" "MGP" U32 "Total number of active tasks+tasklets in the current worker process";
    49 "Idle_pct" "MaP" U32 "Percentage of last second spent waiting in the current worker thread";
    50 "node" "COS" Str "Node name (global.node)";
    51 "description" "COS" Str "Node description (global.description)";
    52 "Stopping" "MGP" U32 "1 if the worker process is currently stopping, otherwise zero";
    53 "Jobs" "MGP" U32 "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)";
    54 "Unstoppable Jobs" "MGP" U32 "Current number of unstoppable jobs on the current worker process (master connections)";
    55 "Listeners" "MGP" U32 "Current number of active listeners on the current worker process";
    56 "ActivePeers" "MGP" U32 "Current number of verified active peers connections on the current worker process";
    57 "ConnectedPeers" "MGP" U32 "Current number of peers having passed the connection step on the current worker process";
    58 "DroppedLogs" "MGP" U32 "Total number of dropped logs for current worker process since started";
    59 "BusyPolling" "MGP" U32 "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)";
    60 "FailedResolutions" "MGP" U32 "Total number of failed DNS resolutions in current worker process since started";
    61 "TotalBytesOut" "MGP" U64 "Total number of bytes emitted by current worker process since started";
    62 "TotalSplicdedBytesOut" "MGP" U64 "Total number of bytes emitted by current worker process through a kernel pipe since started";
    63 "BytesOutRate" "MRP" U64 "Number of bytes emitted by current worker process over the last second";
    64 "DebugCommandsIssued" "MGP" U32 "Number of debug commands issued on this process (anything > 0 is unsafe)";
    65 "CumRecvLogs" "MCP" U32 "Total number of log messages received by log-forwarding listeners on this worker process since started";
    66 "Build info" "POS" Str "Build info";
    67 "Memmax_bytes" "CLP" U32 "Worker process's hard limit on memory usage in byes (-m on command line)";
    68 "PoolAlloc_bytes" "MGP" U64 "Amount of memory allocated in pools (in bytes)";
    69 "PoolUsed_bytes" "MGP" U64 "Amount of pool memory currently used (in bytes)";
    70 "Start_time_sec" "MDP" U32 "Start time in seconds";
    71 "Tainted" "SGP" Str "Experimental features used";
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
