# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_haproxyctl_global_optspecs
    string join \n s/socket= timeout= color= h/help V/version
end

function __fish_haproxyctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_haproxyctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_haproxyctl_using_subcommand
    set -l cmd (__fish_haproxyctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -s V -l version -d 'Print version'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "status" -d 'Servers per backend: state, last check in plain words, sessions, traffic'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "watch" -d 'Refreshing status view with rates between samples; q or Ctrl-C quits'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "show" -d 'Show stat|info|servers-state|backends (raw, --json or --csv), or any other `show` word (raw)'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "exec" -d 'Send a raw runtime API command and print the answer as is'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "enable" -d 'Put servers back in service (`set server B/S state ready`)'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "disable" -d 'Put servers in maintenance (`set server B/S state maint`)'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "drain" -d 'Stop sending new sessions to servers (`state drain`), optionally wait until they are idle'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "ready" -d 'Same as enable: `set server B/S state ready`'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "weight" -d 'Set a server\'s weight, absolute (0-256) or relative to its initial weight (N%)'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "health" -d 'Force a server\'s health check result (`set server B/S health up|stopping|down`)'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "clear-counters" -d 'Reset maxima (`clear counters`), or every counter with --all (admin level)'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "sessions" -d 'Sessions in progress (`show sess`) by server and client; --kill ends them'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "check" -d 'One Nagios-style line: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "man" -d 'Print the man page (roff), or a subcommand\'s page (haproxyctl-SUBCOMMAND(1))'
complete -c haproxyctl -n "__fish_haproxyctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -s b -l backend -d 'Backend to show (globs allowed), same as the positional form' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -l server -d 'Only servers whose name matches (glob, BACKEND/SERVER glob, or `all`); matching no server is a usage error (exit 2)' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -l down -d 'Only servers that are not fully up (DOWN, going up/down, MAINT, DRAIN, NOLB)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -l check -d 'Exit 1 when a matched server fails its checks (DOWN, DOWN x/y) or a shown backend is DOWN; MAINT, DRAIN, NOLB and weight 0 are an operator\'s intent, not failures'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -l json -d 'JSON array of rows; field names are HAProxy\'s CSV column names'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -l csv -d 'CSV with HAProxy\'s column names'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand status" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -s b -l backend -d 'Backend to show (globs allowed), same as the positional form' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -l server -d 'Only servers whose name matches (glob, BACKEND/SERVER glob, or `all`); matching no server is a usage error (exit 2)' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -s i -l interval -d 'Time between samples' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -s n -l iterations -d 'Stop after N samples, at least 1 (default: until q or Ctrl-C); exits 3 when none could be read' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -l down -d 'Only servers that are not fully up (DOWN, going up/down, MAINT, DRAIN, NOLB)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand watch" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand show" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand show" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand show" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand show" -l json -d 'JSON array of rows; field names are HAProxy\'s CSV column names'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand show" -l csv -d 'CSV with HAProxy\'s column names'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand show" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand exec" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand exec" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand exec" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand exec" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand enable" -l except -d 'Leave out servers matching this selector (repeatable)' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand enable" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand enable" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand enable" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand enable" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand disable" -l except -d 'Leave out servers matching this selector (repeatable)' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand disable" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand disable" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand disable" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand disable" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -l except -d 'Leave out servers matching this selector (repeatable)' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -l max-wait -d 'Give up waiting after this long (with --wait); --timeout bounds each socket exchange' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -l then -d 'Once drained, move the servers to this state (with --wait)' -r -f -a "maint\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -l poll -d 'Time between polls of the session count (with --wait)' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -l wait -d 'Wait until the drained servers have no current sessions'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand drain" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand ready" -l except -d 'Leave out servers matching this selector (repeatable)' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand ready" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand ready" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand ready" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand ready" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand weight" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand weight" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand weight" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand weight" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand health" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand health" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand health" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand health" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand clear-counters" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand clear-counters" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand clear-counters" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand clear-counters" -l all -d 'Reset every counter, not only maxima (needs an admin-level socket)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand clear-counters" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand sessions" -l client -d 'Only sessions from clients whose address (IP or IP:PORT) matches this glob' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand sessions" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand sessions" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand sessions" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand sessions" -l kill -d 'End the listed sessions (`shutdown session`, admin level)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand sessions" -l json -d 'JSON array of rows; field names are HAProxy\'s CSV column names'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand sessions" -l csv -d 'CSV with HAProxy\'s column names'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand sessions" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand check" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand check" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand check" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand check" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand completions" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand completions" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand completions" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand man" -s s -l socket -d 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand man" -l timeout -d 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms' -r
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand man" -l color -d 'Colour the status column: auto = only on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand man" -s h -l help -d 'Print help'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "status" -d 'Servers per backend: state, last check in plain words, sessions, traffic'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "watch" -d 'Refreshing status view with rates between samples; q or Ctrl-C quits'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "show" -d 'Show stat|info|servers-state|backends (raw, --json or --csv), or any other `show` word (raw)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "exec" -d 'Send a raw runtime API command and print the answer as is'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "enable" -d 'Put servers back in service (`set server B/S state ready`)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "disable" -d 'Put servers in maintenance (`set server B/S state maint`)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "drain" -d 'Stop sending new sessions to servers (`state drain`), optionally wait until they are idle'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "ready" -d 'Same as enable: `set server B/S state ready`'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "weight" -d 'Set a server\'s weight, absolute (0-256) or relative to its initial weight (N%)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "health" -d 'Force a server\'s health check result (`set server B/S health up|stopping|down`)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "clear-counters" -d 'Reset maxima (`clear counters`), or every counter with --all (admin level)'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "sessions" -d 'Sessions in progress (`show sess`) by server and client; --kill ends them'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "check" -d 'One Nagios-style line: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "man" -d 'Print the man page (roff), or a subcommand\'s page (haproxyctl-SUBCOMMAND(1))'
complete -c haproxyctl -n "__fish_haproxyctl_using_subcommand help; and not __fish_seen_subcommand_from status watch show exec enable disable drain ready weight health clear-counters sessions check completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
