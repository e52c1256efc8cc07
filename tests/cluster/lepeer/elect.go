package main

import (
	"context"
	"sort"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// elect is a third party's coordinated-election controller for one lease, as the API server's
// own controller is for OldestEmulationVersion: it creates the lease with --strategy, and once
// the lease is free or expired (its leader yields by no longer renewing when preferredHolder
// is set) it writes the next holder, the preferredHolder if that is a live LeaseCandidate,
// else the first live candidate by name. Every write carries the resourceVersion read.
func elect(o options) error {
	config, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	config.Timeout = o.renewDeadline / 2
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	ctx := context.Background()
	leases := client.CoordinationV1().Leases(o.namespace)
	strategy := coordinationv1.CoordinatedLeaseStrategy(o.strategy)
	emit(o.identity, "electing", "", "lease "+o.namespace+"/"+o.name)
	for {
		time.Sleep(o.retryPeriod)
		lease, err := leases.Get(ctx, o.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			seconds := int32(o.leaseDuration.Seconds())
			_, err = leases.Create(ctx, &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: o.name, Namespace: o.namespace},
				Spec:       coordinationv1.LeaseSpec{Strategy: &strategy, LeaseDurationSeconds: &seconds},
			}, metav1.CreateOptions{})
			continue
		}
		if err != nil {
			continue
		}
		spec := lease.Spec
		now := time.Now()
		if spec.HolderIdentity != nil && *spec.HolderIdentity != "" && spec.RenewTime != nil && spec.LeaseDurationSeconds != nil &&
			spec.RenewTime.Add(time.Duration(*spec.LeaseDurationSeconds)*time.Second).After(now) {
			continue // held, not expired
		}
		next := pick(ctx, client, o, spec.PreferredHolder)
		if next == "" {
			continue
		}
		seconds := int32(o.leaseDuration.Seconds())
		stamp := metav1.NewMicroTime(now)
		transitions := int32(0)
		if spec.LeaseTransitions != nil {
			transitions = *spec.LeaseTransitions
		}
		transitions++
		lease.Spec.HolderIdentity = &next
		lease.Spec.LeaseDurationSeconds = &seconds
		lease.Spec.AcquireTime = &stamp
		lease.Spec.RenewTime = &stamp
		lease.Spec.LeaseTransitions = &transitions
		lease.Spec.PreferredHolder = nil
		lease.Spec.Strategy = &strategy
		if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); err == nil {
			emit(o.identity, "elected", next, "lease "+o.namespace+"/"+o.name)
		}
	}
}

// pick is the preferred holder if it is a live candidate of the lease, else the first live one.
func pick(ctx context.Context, client kubernetes.Interface, o options, preferred *string) string {
	list, err := client.CoordinationV1beta1().LeaseCandidates(o.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return ""
	}
	var live []string
	for _, c := range list.Items {
		if c.Spec.LeaseName != o.name || c.Spec.RenewTime == nil {
			continue
		}
		// A candidate stands for the pod of its name (as the peers do): a candidate whose pod
		// is gone or terminating is not live, however recently it renewed.
		pod, err := client.CoreV1().Pods(o.namespace).Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil || pod.DeletionTimestamp != nil {
			continue
		}
		live = append(live, c.Name)
	}
	sort.Strings(live)
	for _, name := range live {
		if preferred != nil && name == *preferred {
			return name
		}
	}
	if len(live) > 0 {
		return live[0]
	}
	return ""
}
