# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_singleton_global_optspecs
    string join \n kubeconfig= context= all-contexts context-regex= max-parallel= cluster= user= n/namespace= A/all-namespaces request-timeout= as= as-group= o/output= no-headers no-color v/v= h/help V/version
end

function __fish_kubectl_singleton_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_singleton_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_singleton_using_subcommand
    set -l cmd (__fish_kubectl_singleton_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -s h -l help -d 'Print help'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -f -a "status" -d 'Show leader-election locks: holder, renew time, expiry by the server\'s clock, transitions'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -f -a "audit" -d 'Find the ways a singleton can run twice or block the cluster, live or in manifest files'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -f -a "scaffold" -d 'Generate correct manifests for a singleton: statefulset, deployment, cronjob, leader-election'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -f -a "release" -d 'Hand a lease over without two leaders, or free an orphaned one'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -f -a "drain-check" -d 'Per node: would `kubectl drain` get through now, and which PDB or singleton stops it'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -f -a "exporter" -d 'Serve Prometheus metrics on every lock: state, expiry, leader changes, leaderless time'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -s l -l selector -d 'Label selector to filter leases (e.g. app=scheduler,tier!=web)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l shards -d 'Lease families of elected shards, one row each; with FAMILY, its shards; -w: leader changes' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l family -d 'With --shards: leases whose whole name matches REGEX form a family (group `index`, else the first group, is the shard index)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l all-leases -d 'Include node heartbeat leases (kube-node-lease) and API-server identity leases'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -s w -l watch -d 'After the table, print one line per change (leader changed, expired, released, renewals stopped) until Ctrl-C; with -o json, one JSON object per line'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -s h -l help -d 'Print help'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand status" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -s f -l filename -d 'Manifest file or directory to audit offline (repeatable; directories are walked for .yaml/.yml/.json; - reads stdin)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l fail-on -d 'Exit 1 when a finding is at or above this severity' -r -f -a "error\t''
warning\t''
info\t''
never\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l assume-singleton -d 'Treat every single-replica workload as a strict singleton, whatever the evidence (by default a workload must show that it may never run twice)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -s h -l help -d 'Print help'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -f -a "explain" -d 'Why a rule exists, what breaks, how to fix it; without RULE, list every rule'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and not __fish_seen_subcommand_from explain help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -s h -l help -d 'Print help'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from explain" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "explain" -d 'Why a rule exists, what breaks, how to fix it; without RULE, list every rule'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l image -d 'Container image' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l port -d 'Container port: adds TCP readiness/liveness probes (and the Service port for statefulset)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l grace-period -d 'terminationGracePeriodSeconds: time to finish work and release a lease' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l storage -d 'statefulset: a ReadWriteOnce volume of this size mounted at /data (e.g. 10Gi)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l schedule -d 'cronjob: the cron schedule (required), e.g. "0 3 * * *"' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l replicas -d 'leader-election: number of candidates (default 2)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l lease-duration -d 'leader-election: leaseDuration (default 15s)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l renew-deadline -d 'leader-election: renewDeadline (default 10s)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l retry-period -d 'leader-election: retryPeriod (default 2s)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l alerts-file -d 'exporter: write the alerts as a plain Prometheus rules file to FILE' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l out-dir -d 'Write one file per object into this directory instead of printing' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l service-monitor -d 'exporter: also a ServiceMonitor (prometheus-operator)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l alerts -d 'exporter: also a PrometheusRule with the alerts (prometheus-operator)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l force -d 'With --out-dir or --alerts-file: overwrite existing files'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand scaffold" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l kind -d 'The object that carries the lock' -r -f -a "lease\t''
configmap\t''
endpoints\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l to -d 'Hand over to this identity: sets spec.preferredHolder on a coordinated lease; on a plain lease only with --force, by writing the holder directly' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l expect-holder -d 'Abort (exit 1) unless the lock is held by exactly this identity' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l wait -d 'How long to wait for a different holder to take the lock' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l evict -d 'Stop a live holder first: evict its pod through the Eviction API (PDBs respected), wait until it is gone, then free the lock if it still names the old holder'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l force -d 'Free the lock even though its holder is alive (it may take the lock back or run beside the next leader until its renewDeadline)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l no-wait -d 'Don\'t wait for a new leader'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l dry-run -d 'Print the plan and the exact write; change nothing'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -s y -l yes -d 'Don\'t ask for confirmation (required without a terminal)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -s h -l help -d 'Print help'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand release" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -s l -l selector -d 'Label selector for the nodes (e.g. node.kubernetes.io/pool=blue)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l force -d 'Predict for `kubectl drain --force`: pods without a controller are deleted, and lost'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l delete-emptydir-data -d 'Predict for `kubectl drain --delete-emptydir-data`: emptyDir data is deleted with its pod'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l server-dry-run -d 'Also send each eviction to the API server with dryRun=All and show its answer (201, 429, 500) beside the prediction; nothing is evicted (needs create on pods/eviction)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l assume-singleton -d 'Treat every single-replica workload as a strict singleton, as audit --assume-singleton'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -s h -l help -d 'Print help'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand drain-check" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l listen -d 'Address to serve on: HOST:PORT, or :PORT for every interface (port 0 picks a free one)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l audit-interval -d 'How often the audit is re-evaluated from the watch caches (no fresh LISTs)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -s h -l help -d 'Print help'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand exporter" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)' -r -F
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l context -d 'The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l context-regex -d 'Read every context whose name matches this regular expression (a fleet)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l max-parallel -d 'In a fleet, read at most this many clusters at once' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -s n -l namespace -d 'Namespace to look in (default: the context\'s namespace, else "default")' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l request-timeout -d 'Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l as -d 'User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -s o -l output -d 'Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit); table, json, yaml (drain-check)' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
name\t''
sarif\t''"
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -s v -l v -d 'Log verbosity: -v for requests, -v=6 and up for everything the client does' -r
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l all-contexts -d 'Read every context of the kubeconfig (a fleet: status, audit, drain-check)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -s A -l all-namespaces -d 'Look in every namespace'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l no-headers -d 'Don\'t print table headers'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -l no-color -d 'Never colour output (also when NO_COLOR is set and not empty)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -s h -l help -d 'Print help'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand completion" -s V -l version -d 'Print version'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and not __fish_seen_subcommand_from status audit scaffold release drain-check exporter completion help" -f -a "status" -d 'Show leader-election locks: holder, renew time, expiry by the server\'s clock, transitions'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and not __fish_seen_subcommand_from status audit scaffold release drain-check exporter completion help" -f -a "audit" -d 'Find the ways a singleton can run twice or block the cluster, live or in manifest files'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and not __fish_seen_subcommand_from status audit scaffold release drain-check exporter completion help" -f -a "scaffold" -d 'Generate correct manifests for a singleton: statefulset, deployment, cronjob, leader-election'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and not __fish_seen_subcommand_from status audit scaffold release drain-check exporter completion help" -f -a "release" -d 'Hand a lease over without two leaders, or free an orphaned one'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and not __fish_seen_subcommand_from status audit scaffold release drain-check exporter completion help" -f -a "drain-check" -d 'Per node: would `kubectl drain` get through now, and which PDB or singleton stops it'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and not __fish_seen_subcommand_from status audit scaffold release drain-check exporter completion help" -f -a "exporter" -d 'Serve Prometheus metrics on every lock: state, expiry, leader changes, leaderless time'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and not __fish_seen_subcommand_from status audit scaffold release drain-check exporter completion help" -f -a "completion" -d 'Print a shell completion script'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and not __fish_seen_subcommand_from status audit scaffold release drain-check exporter completion help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-singleton -n "__fish_kubectl_singleton_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "explain" -d 'Why a rule exists, what breaks, how to fix it; without RULE, list every rule'
