//! End-to-end tests against a real control plane (kube-apiserver, kube-controller-manager,
//! kube-scheduler, etcd, kwok nodes) started by tests/cluster/cluster.sh.

mod audit;
mod completion;
mod drain;
mod exporter;
mod exporter_audit;
mod exporter_drain;
mod exporter_restart;
mod faults;
mod fleet;
mod fleet_audit;
mod fleet_watch;
mod harness;
mod rbac;
mod release;
mod release_evict;
mod release_races;
mod scaffold;
mod shards;
mod status;
mod yaml11;
