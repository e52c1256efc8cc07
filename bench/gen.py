#!/usr/bin/env python3
"""Writes the benchmark's objects between two scales as multi-document YAML files.

    gen.py PREV SCALE OUTDIR BATCH NOW OLD

Object i of a kind is the same at every scale, and a kind has ceil(full × scale) objects, so
generating PREV → SCALE adds exactly what SCALE has and PREV lacks. Writes OUTDIR/0-namespaces.yaml,
then OUTDIR/0-nodes-NNNN.yaml and OUTDIR/1-<kind>-NNNN.yaml files of at most BATCH documents
each (apply the 0-* files first), and prints the counts as JSON. Called by bench/seed.sh, which documents the objects.
"""
import json
import math
import sys
from fractions import Fraction
from pathlib import Path

FULL = {
    "nodes": 2000,
    "deployments": 3000,
    "statefulsets": 500,
    "pdbs": 1000,
    "hpas": 300,
    "cronjobs": 500,
    "leases": 300,
    "legacy": 20,
    "families": 200,
}
NAMESPACES = 50
LABEL = "kubectl-singleton-bench: seed"


def ns(i):
    return f"bench-{i % NAMESPACES:02d}"


def pod_template(app, indent="  "):
    t = f"""template:
  metadata:
    labels: {{app: {app}}}
  spec:
    terminationGracePeriodSeconds: 30
    containers:
    - name: app
      image: registry.example/{app}:1.0.0
      resources: {{requests: {{cpu: 10m, memory: 16Mi}}, limits: {{memory: 64Mi}}}}
"""
    return "".join(indent + line + "\n" for line in t.splitlines())


def node(i):
    return f"""apiVersion: v1
kind: Node
metadata:
  name: bench-node-{i}
  annotations: {{kwok.x-k8s.io/node: fake}}
  labels: {{{LABEL}, type: kwok, kubernetes.io/hostname: bench-node-{i}, kubernetes.io/os: linux, kubernetes.io/arch: amd64}}
spec: {{}}
status:
  allocatable: {{cpu: "32", memory: 256Gi, pods: "110"}}
  capacity: {{cpu: "32", memory: 256Gi, pods: "110"}}
"""


def deployment(i):
    # half Recreate (correct), half the default RollingUpdate (rollout-surge)
    strategy = "Recreate" if i % 2 == 0 else "RollingUpdate"
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: deploy-{i}, namespace: {ns(i)}, labels: {{{LABEL}}}}}
spec:
  replicas: 1
  strategy: {{type: {strategy}}}
  selector: {{matchLabels: {{app: deploy-{i}}}}}
{pod_template(f"deploy-{i}")}"""


def statefulset(i):
    return f"""apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: sts-{i}, namespace: {ns(i)}, labels: {{{LABEL}}}}}
spec:
  replicas: 1
  serviceName: sts-{i}
  selector: {{matchLabels: {{app: sts-{i}}}}}
{pod_template(f"sts-{i}")}"""


def pdb(i):
    # PDB i covers deploy-i: a third can never allow a disruption (minAvailable 1), the rest allow one
    if i % 3 == 0:
        budget = "minAvailable: 1"
    else:
        budget = "maxUnavailable: 1\n  unhealthyPodEvictionPolicy: AlwaysAllow"
    return f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: deploy-{i}, namespace: {ns(i)}, labels: {{{LABEL}}}}}
spec:
  {budget}
  selector: {{matchLabels: {{app: deploy-{i}}}}}
"""


def hpa(i):
    # HPA i scales deploy-i: half may go to 3 (hpa-scales-singleton), half stay at 1
    return f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: deploy-{i}, namespace: {ns(i)}, labels: {{{LABEL}}}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: deploy-{i}}}
  minReplicas: 1
  maxReplicas: {3 if i % 2 == 0 else 1}
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}
"""


def cronjob(i):
    policy = "Forbid" if i % 2 == 0 else "Allow"
    return f"""apiVersion: batch/v1
kind: CronJob
metadata: {{name: cron-{i}, namespace: {ns(i)}, labels: {{{LABEL}}}}}
spec:
  schedule: "{i % 60} * * * *"
  suspend: true
  concurrencyPolicy: {policy}
  startingDeadlineSeconds: 300
  jobTemplate:
    spec:
      backoffLimit: 1
      template:
        metadata:
          labels: {{app: cron-{i}}}
        spec:
          restartPolicy: Never
          containers:
          - name: job
            image: registry.example/cron-{i}:1.0.0
"""


def lease_times(i, now, old):
    # Nobody renews these leases: held ones get a day's duration, every tenth is long expired.
    return (old, 15) if i % 10 == 9 else (now, 86400)


def lease(i, now, old):
    renew, duration = lease_times(i, now, old)
    return f"""apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: leader-{i}, namespace: {ns(i)}, labels: {{{LABEL}}}}}
spec:
  holderIdentity: sts-{i}-0
  leaseDurationSeconds: {duration}
  acquireTime: "{old}"
  renewTime: "{renew}"
  leaseTransitions: {i % 4}
"""


def legacy(i, now, old):
    # named and held like Lease leader-i, as client-go's ConfigMapsLeases/EndpointsLeases leave them
    renew, duration = lease_times(i, now, old)
    kind = "ConfigMap" if i % 2 == 0 else "Endpoints"
    record = json.dumps(
        {
            "holderIdentity": f"sts-{i}-0",
            "leaseDurationSeconds": duration,
            "acquireTime": old.split(".")[0] + "Z",
            "renewTime": renew.split(".")[0] + "Z",
            "leaderTransitions": i % 4,
        },
        separators=(",", ":"),
    )
    return f"""apiVersion: v1
kind: {kind}
metadata:
  name: leader-{i}
  namespace: {ns(i)}
  labels: {{{LABEL}}}
  annotations:
    control-plane.alpha.kubernetes.io/leader: '{record}'
"""


def family_lease(i, now, old):
    # 20 lease families of 10 elected shards (status --shards): even families Knative buckets,
    # odd ones `<base>-shard-<j>`; family f is led by sts-f-0, every seventh shard long expired.
    f, j = divmod(i, 10)
    name = f"bucket-{f}.{j}-of-10" if f % 2 == 0 else f"family-{f}-shard-{j}"
    renew, duration = (old, 15) if i % 7 == 6 else (now, 86400)
    return f"""apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: {name}, namespace: {ns(f)}, labels: {{{LABEL}}}}}
spec:
  holderIdentity: sts-{f}-0
  leaseDurationSeconds: {duration}
  renewTime: "{renew}"
  leaseTransitions: {j % 3}
"""


def count(kind, scale):
    return math.ceil(FULL[kind] * scale)


def main():
    prev, scale, outdir, batch, now, old = sys.argv[1:7]
    prev, scale, batch = Fraction(prev), Fraction(scale), int(batch)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    makers = {
        "nodes": node,
        "deployments": deployment,
        "statefulsets": statefulset,
        "pdbs": pdb,
        "hpas": hpa,
        "cronjobs": cronjob,
        "leases": lambda i: lease(i, now, old),
        "legacy": lambda i: legacy(i, now, old),
        "families": lambda i: family_lease(i, now, old),
    }
    (out / "0-namespaces.yaml").write_text(
        "".join(
            f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns(i)}\n  labels: {{{LABEL}}}\n"
            for i in range(NAMESPACES)
        )
    )
    counts = {}
    for kind, make in makers.items():
        lo, hi = count(kind, prev), count(kind, scale)
        counts[kind] = {"from": lo, "to": hi}
        for part, start in enumerate(range(lo, hi, batch)):
            docs = (make(i) for i in range(start, min(start + batch, hi)))
            group = 0 if kind == "nodes" else 1  # nodes first, so pods land on the bench's nodes
            text = "".join("---\n" + d for d in docs)
            (out / f"{group}-{kind}-{part:04d}.yaml").write_text(text)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
