
use builtin;
use str;

set edit:completion:arg-completer[haproxyctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'haproxyctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'haproxyctl'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Servers per backend: state, last check in plain words, sessions, traffic'
            cand watch 'Refreshing status view with rates between samples; q or Ctrl-C quits'
            cand show 'Show stat|info|servers-state|backends (raw, --json or --csv), or any other `show` word (raw)'
            cand exec 'Send a raw runtime API command and print the answer as is'
            cand enable 'Put servers back in service (`set server B/S state ready`)'
            cand disable 'Put servers in maintenance (`set server B/S state maint`)'
            cand drain 'Stop sending new sessions to servers (`state drain`), optionally wait until they are idle'
            cand ready 'Same as enable: `set server B/S state ready`'
            cand weight 'Set a server''s weight, absolute (0-256) or relative to its initial weight (N%)'
            cand health 'Force a server''s health check result (`set server B/S health up|stopping|down`)'
            cand clear-counters 'Reset maxima (`clear counters`), or every counter with --all (admin level)'
            cand sessions 'Sessions in progress (`show sess`) by server and client; --kill ends them'
            cand check 'One Nagios-style line: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff), or a subcommand''s page (haproxyctl-SUBCOMMAND(1))'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'haproxyctl;status'= {
            cand -b 'Backend to show (globs allowed), same as the positional form'
            cand --backend 'Backend to show (globs allowed), same as the positional form'
            cand --server 'Only servers whose name matches (glob, BACKEND/SERVER glob, or `all`); matching no server is a usage error (exit 2)'
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand --down 'Only servers that are not fully up (DOWN, going up/down, MAINT, DRAIN, NOLB)'
            cand --check 'Exit 1 when a matched server fails its checks (DOWN, DOWN x/y) or a shown backend is DOWN; MAINT, DRAIN, NOLB and weight 0 are an operator''s intent, not failures'
            cand --json 'JSON array of rows; field names are HAProxy''s CSV column names'
            cand --csv 'CSV with HAProxy''s column names'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;watch'= {
            cand -b 'Backend to show (globs allowed), same as the positional form'
            cand --backend 'Backend to show (globs allowed), same as the positional form'
            cand --server 'Only servers whose name matches (glob, BACKEND/SERVER glob, or `all`); matching no server is a usage error (exit 2)'
            cand -i 'Time between samples'
            cand --interval 'Time between samples'
            cand -n 'Stop after N samples, at least 1 (default: until q or Ctrl-C); exits 3 when none could be read'
            cand --iterations 'Stop after N samples, at least 1 (default: until q or Ctrl-C); exits 3 when none could be read'
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand --down 'Only servers that are not fully up (DOWN, going up/down, MAINT, DRAIN, NOLB)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;show'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand --json 'JSON array of rows; field names are HAProxy''s CSV column names'
            cand --csv 'CSV with HAProxy''s column names'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;exec'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;enable'= {
            cand --except 'Leave out servers matching this selector (repeatable)'
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;disable'= {
            cand --except 'Leave out servers matching this selector (repeatable)'
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;drain'= {
            cand --except 'Leave out servers matching this selector (repeatable)'
            cand --max-wait 'Give up waiting after this long (with --wait); --timeout bounds each socket exchange'
            cand --then 'Once drained, move the servers to this state (with --wait)'
            cand --poll 'Time between polls of the session count (with --wait)'
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand --wait 'Wait until the drained servers have no current sessions'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;ready'= {
            cand --except 'Leave out servers matching this selector (repeatable)'
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;weight'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;health'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;clear-counters'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand --all 'Reset every counter, not only maxima (needs an admin-level socket)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;sessions'= {
            cand --client 'Only sessions from clients whose address (IP or IP:PORT) matches this glob'
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand --kill 'End the listed sessions (`shutdown session`, admin level)'
            cand --json 'JSON array of rows; field names are HAProxy''s CSV column names'
            cand --csv 'CSV with HAProxy''s column names'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;check'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;completions'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;man'= {
            cand -s 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --socket 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]'
            cand --timeout 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms'
            cand --color 'Colour the status column: auto = only on a terminal and without NO_COLOR'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'haproxyctl;help'= {
            cand status 'Servers per backend: state, last check in plain words, sessions, traffic'
            cand watch 'Refreshing status view with rates between samples; q or Ctrl-C quits'
            cand show 'Show stat|info|servers-state|backends (raw, --json or --csv), or any other `show` word (raw)'
            cand exec 'Send a raw runtime API command and print the answer as is'
            cand enable 'Put servers back in service (`set server B/S state ready`)'
            cand disable 'Put servers in maintenance (`set server B/S state maint`)'
            cand drain 'Stop sending new sessions to servers (`state drain`), optionally wait until they are idle'
            cand ready 'Same as enable: `set server B/S state ready`'
            cand weight 'Set a server''s weight, absolute (0-256) or relative to its initial weight (N%)'
            cand health 'Force a server''s health check result (`set server B/S health up|stopping|down`)'
            cand clear-counters 'Reset maxima (`clear counters`), or every counter with --all (admin level)'
            cand sessions 'Sessions in progress (`show sess`) by server and client; --kill ends them'
            cand check 'One Nagios-style line: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff), or a subcommand''s page (haproxyctl-SUBCOMMAND(1))'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'haproxyctl;help;status'= {
        }
        &'haproxyctl;help;watch'= {
        }
        &'haproxyctl;help;show'= {
        }
        &'haproxyctl;help;exec'= {
        }
        &'haproxyctl;help;enable'= {
        }
        &'haproxyctl;help;disable'= {
        }
        &'haproxyctl;help;drain'= {
        }
        &'haproxyctl;help;ready'= {
        }
        &'haproxyctl;help;weight'= {
        }
        &'haproxyctl;help;health'= {
        }
        &'haproxyctl;help;clear-counters'= {
        }
        &'haproxyctl;help;sessions'= {
        }
        &'haproxyctl;help;check'= {
        }
        &'haproxyctl;help;completions'= {
        }
        &'haproxyctl;help;man'= {
        }
        &'haproxyctl;help;help'= {
        }
    ]
    $completions[$command]
}
