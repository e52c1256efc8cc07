//! One module per command. Each command is `run(args, options, out)` so tests can capture output;
//! `options` are the global flags already resolved (`crate::options`).

pub mod audit;
pub mod completion;
pub mod drain_check;
pub mod exporter;
pub mod kubectl_complete;
pub mod release;
pub mod scaffold;
pub mod status;

/// Reads every cluster of the fleet the options name (`--context a,b`, `--all-contexts`,
/// `--context-regex`), `--max-parallel` at once, each with its namespace scope resolved there
/// (`None`: all namespaces); results in the order of the contexts.
pub(crate) async fn read_fleet<T, F, Fut>(
    options: &crate::options::Options,
    read: F,
) -> crate::error::Result<Vec<crate::kube::fleet::Member<T>>>
where
    F: Fn(crate::kube::Cluster, Option<String>) -> Fut,
    Fut: std::future::Future<Output = crate::error::Result<T>>,
{
    let contexts = crate::kube::kubeconfig::fleet_contexts(&options.cluster, &options.fleet)?;
    let members = crate::kube::fleet::read_each(
        &options.cluster,
        &contexts,
        options.fleet.max_parallel,
        |cluster| {
            let namespace = cluster.scope(&options.namespaces);
            read(cluster, namespace)
        },
    )
    .await;
    Ok(members)
}
