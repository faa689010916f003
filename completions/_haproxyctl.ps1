
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'haproxyctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'haproxyctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'haproxyctl' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Servers per backend: state, last check in plain words, sessions, traffic')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Refreshing status view with rates between samples; q or Ctrl-C quits')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show stat|info|servers-state|backends (raw, --json or --csv), or any other `show` word (raw)')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Send a raw runtime API command and print the answer as is')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Put servers back in service (`set server B/S state ready`)')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Put servers in maintenance (`set server B/S state maint`)')
            [CompletionResult]::new('drain', 'drain', [CompletionResultType]::ParameterValue, 'Stop sending new sessions to servers (`state drain`), optionally wait until they are idle')
            [CompletionResult]::new('ready', 'ready', [CompletionResultType]::ParameterValue, 'Same as enable: `set server B/S state ready`')
            [CompletionResult]::new('weight', 'weight', [CompletionResultType]::ParameterValue, 'Set a server''s weight, absolute (0-256) or relative to its initial weight (N%)')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Force a server''s health check result (`set server B/S health up|stopping|down`)')
            [CompletionResult]::new('clear-counters', 'clear-counters', [CompletionResultType]::ParameterValue, 'Reset maxima (`clear counters`), or every counter with --all (admin level)')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'Sessions in progress (`show sess`) by server and client; --kill ends them')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'One Nagios-style line: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), or a subcommand''s page (haproxyctl-SUBCOMMAND(1))')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'haproxyctl;status' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Backend to show (globs allowed), same as the positional form')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Backend to show (globs allowed), same as the positional form')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Only servers whose name matches (glob, BACKEND/SERVER glob, or `all`); matching no server is a usage error (exit 2)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('--down', '--down', [CompletionResultType]::ParameterName, 'Only servers that are not fully up (DOWN, going up/down, MAINT, DRAIN, NOLB)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Exit 1 when a matched server fails its checks (DOWN, DOWN x/y) or a shown backend is DOWN; MAINT, DRAIN, NOLB and weight 0 are an operator''s intent, not failures')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON array of rows; field names are HAProxy''s CSV column names')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'CSV with HAProxy''s column names')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;watch' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Backend to show (globs allowed), same as the positional form')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Backend to show (globs allowed), same as the positional form')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Only servers whose name matches (glob, BACKEND/SERVER glob, or `all`); matching no server is a usage error (exit 2)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between samples')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between samples')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Stop after N samples, at least 1 (default: until q or Ctrl-C); exits 3 when none could be read')
            [CompletionResult]::new('--iterations', '--iterations', [CompletionResultType]::ParameterName, 'Stop after N samples, at least 1 (default: until q or Ctrl-C); exits 3 when none could be read')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('--down', '--down', [CompletionResultType]::ParameterName, 'Only servers that are not fully up (DOWN, going up/down, MAINT, DRAIN, NOLB)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;show' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON array of rows; field names are HAProxy''s CSV column names')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'CSV with HAProxy''s column names')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;exec' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;enable' {
            [CompletionResult]::new('--except', '--except', [CompletionResultType]::ParameterName, 'Leave out servers matching this selector (repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;disable' {
            [CompletionResult]::new('--except', '--except', [CompletionResultType]::ParameterName, 'Leave out servers matching this selector (repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;drain' {
            [CompletionResult]::new('--except', '--except', [CompletionResultType]::ParameterName, 'Leave out servers matching this selector (repeatable)')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up waiting after this long (with --wait); --timeout bounds each socket exchange')
            [CompletionResult]::new('--then', '--then', [CompletionResultType]::ParameterName, 'Once drained, move the servers to this state (with --wait)')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Time between polls of the session count (with --wait)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the drained servers have no current sessions')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;ready' {
            [CompletionResult]::new('--except', '--except', [CompletionResultType]::ParameterName, 'Leave out servers matching this selector (repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;weight' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;health' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;clear-counters' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Reset every counter, not only maxima (needs an admin-level socket)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;sessions' {
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Only sessions from clients whose address (IP or IP:PORT) matches this glob')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('--kill', '--kill', [CompletionResultType]::ParameterName, 'End the listed sessions (`shutdown session`, admin level)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON array of rows; field names are HAProxy''s CSV column names')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'CSV with HAProxy''s column names')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;check' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;completions' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;man' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances [default: $HAPROXY_SOCKET, comma-separated]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the status column: auto = only on a terminal and without NO_COLOR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'haproxyctl;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Servers per backend: state, last check in plain words, sessions, traffic')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Refreshing status view with rates between samples; q or Ctrl-C quits')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show stat|info|servers-state|backends (raw, --json or --csv), or any other `show` word (raw)')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Send a raw runtime API command and print the answer as is')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Put servers back in service (`set server B/S state ready`)')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Put servers in maintenance (`set server B/S state maint`)')
            [CompletionResult]::new('drain', 'drain', [CompletionResultType]::ParameterValue, 'Stop sending new sessions to servers (`state drain`), optionally wait until they are idle')
            [CompletionResult]::new('ready', 'ready', [CompletionResultType]::ParameterValue, 'Same as enable: `set server B/S state ready`')
            [CompletionResult]::new('weight', 'weight', [CompletionResultType]::ParameterValue, 'Set a server''s weight, absolute (0-256) or relative to its initial weight (N%)')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Force a server''s health check result (`set server B/S health up|stopping|down`)')
            [CompletionResult]::new('clear-counters', 'clear-counters', [CompletionResultType]::ParameterValue, 'Reset maxima (`clear counters`), or every counter with --all (admin level)')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'Sessions in progress (`show sess`) by server and client; --kill ends them')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'One Nagios-style line: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), or a subcommand''s page (haproxyctl-SUBCOMMAND(1))')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'haproxyctl;help;status' {
            break
        }
        'haproxyctl;help;watch' {
            break
        }
        'haproxyctl;help;show' {
            break
        }
        'haproxyctl;help;exec' {
            break
        }
        'haproxyctl;help;enable' {
            break
        }
        'haproxyctl;help;disable' {
            break
        }
        'haproxyctl;help;drain' {
            break
        }
        'haproxyctl;help;ready' {
            break
        }
        'haproxyctl;help;weight' {
            break
        }
        'haproxyctl;help;health' {
            break
        }
        'haproxyctl;help;clear-counters' {
            break
        }
        'haproxyctl;help;sessions' {
            break
        }
        'haproxyctl;help;check' {
            break
        }
        'haproxyctl;help;completions' {
            break
        }
        'haproxyctl;help;man' {
            break
        }
        'haproxyctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
