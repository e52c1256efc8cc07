// Command lepeer is a real client-go leader-election participant for the e2e tests.
//
// It campaigns for one Lease (or, with --buckets, for every bucket of a Knative-style family,
// `<name>.<i>-of-<n>`, each its own election in this one process) with tools/leaderelection (the reference implementation our
// `status` and `release` must agree with), prints one JSON line per event on stdout, and exits
// gracefully when the Pod named by its identity is deleted — standing in for the SIGTERM a
// kubelet would send, so tests can use kwok pods as the peers' pods.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

type options struct {
	kubeconfig      string
	namespace       string
	name            string
	identity        string
	podNamespace    string
	podName         string
	leaseDuration   time.Duration
	renewDeadline   time.Duration
	retryPeriod     time.Duration
	releaseOnCancel bool
	coordinated     bool
	binaryVersion   string
	impersonate     string
	buckets         int
	bucketIndexes   string
	strategy        string
	elect           bool
}

// event is one line of output; tests parse these.
type event struct {
	Time     string `json:"time"`
	Event    string `json:"event"`
	Identity string `json:"identity"`
	Leader   string `json:"leader,omitempty"`
	Message  string `json:"message,omitempty"`
}

var outMu sync.Mutex

func emit(identity, kind, leader, message string) {
	outMu.Lock()
	defer outMu.Unlock()
	line, _ := json.Marshal(event{
		Time:     time.Now().UTC().Format(time.RFC3339Nano),
		Event:    kind,
		Identity: identity,
		Leader:   leader,
		Message:  message,
	})
	fmt.Println(string(line))
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	flag.StringVar(&o.namespace, "namespace", "default", "namespace of the Lease")
	flag.StringVar(&o.name, "name", "", "name of the Lease (required)")
	flag.StringVar(&o.identity, "identity", "", "holder identity, usually the pod name (required)")
	flag.StringVar(&o.podNamespace, "pod-namespace", "", "namespace of the pod standing for this peer (default: --namespace)")
	flag.StringVar(&o.podName, "pod", "", "pod standing for this peer; its deletion stops the peer (default: the identity up to a '_', empty to disable)")
	flag.DurationVar(&o.leaseDuration, "lease-duration", 15*time.Second, "leaseDuration")
	flag.DurationVar(&o.renewDeadline, "renew-deadline", 10*time.Second, "renewDeadline")
	flag.DurationVar(&o.retryPeriod, "retry-period", 2*time.Second, "retryPeriod")
	flag.BoolVar(&o.releaseOnCancel, "release-on-cancel", true, "release the lease when stopping")
	flag.BoolVar(&o.coordinated, "coordinated", false, "coordinated leader election: publish a LeaseCandidate and let the apiserver pick the leader")
	flag.StringVar(&o.binaryVersion, "binary-version", "1.36.0", "binaryVersion advertised in the LeaseCandidate (coordinated mode)")
	flag.StringVar(&o.impersonate, "as", "", "user to impersonate, e.g. system:serviceaccount:NS:NAME, to run with exactly that account's RBAC")
	flag.IntVar(&o.buckets, "buckets", 0, "Knative-style shards: campaign for the leases <name>.<i>-of-<buckets>, one election each, all in this process")
	flag.StringVar(&o.bucketIndexes, "bucket-indexes", "", "with --buckets: campaign only for these indexes, comma-separated (default: every bucket)")
	flag.StringVar(&o.strategy, "strategy", string(coordinationv1.OldestEmulationVersion), "coordinated mode: the strategy the LeaseCandidate asks for (another than OldestEmulationVersion needs an --elect process)")
	flag.BoolVar(&o.elect, "elect", false, "run as a third party's election controller for --name under --strategy instead of a peer: hands an expired lease to its preferredHolder (or the first live LeaseCandidate)")
	klog.InitFlags(nil)
	flag.Parse()
	if o.name == "" || o.identity == "" {
		fmt.Fprintln(os.Stderr, "lepeer: --name and --identity are required")
		os.Exit(2)
	}
	if o.podNamespace == "" {
		o.podNamespace = o.namespace
	}
	if o.buckets > 0 && o.coordinated {
		fmt.Fprintln(os.Stderr, "lepeer: --buckets does not combine with --coordinated")
		os.Exit(2)
	}
	podFlagSet := false
	flag.Visit(func(f *flag.Flag) { podFlagSet = podFlagSet || f.Name == "pod" })
	if !podFlagSet {
		o.podName, _, _ = strings.Cut(o.identity, "_")
	}
	if o.elect {
		if err := elect(o); err != nil {
			emit(o.identity, "error", "", err.Error())
			os.Exit(1)
		}
		return
	}
	if err := run(o); err != nil {
		emit(o.identity, "error", "", err.Error())
		os.Exit(1)
	}
}

func run(o options) error {
	config, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	// A hung request must not outlast the renew deadline (as client-go's own docs advise).
	config.Timeout = o.renewDeadline / 2
	config.Impersonate.UserName = o.impersonate
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-signals
		emit(o.identity, "stopping", "", "signal "+sig.String())
		cancel()
	}()
	if o.podName != "" {
		go watchOwnPod(ctx, cancel, client, o)
	}

	if o.coordinated {
		// Run starts the candidate's own informers; the sync waiter is only for readiness probes.
		candidate, _, err := leaderelection.NewCandidate(client, o.namespace, o.identity, o.name,
			o.binaryVersion, o.binaryVersion, coordinationv1.CoordinatedLeaseStrategy(o.strategy))
		if err != nil {
			return fmt.Errorf("lease candidate: %w", err)
		}
		go candidate.Run(ctx)
	}

	names, err := leaseNames(o)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for _, name := range names {
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			if err := campaign(ctx, client, o, name); err != nil {
				errs <- err
				cancel()
			}
		}(name)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	emit(o.identity, "exited", "", "")
	return nil
}

// leaseNames is the one lease of --name, or with --buckets the bucket leases asked for.
func leaseNames(o options) ([]string, error) {
	if o.buckets <= 0 {
		return []string{o.name}, nil
	}
	var indexes []int
	if o.bucketIndexes == "" {
		for i := 0; i < o.buckets; i++ {
			indexes = append(indexes, i)
		}
	} else {
		for _, field := range strings.Split(o.bucketIndexes, ",") {
			i, err := strconv.Atoi(strings.TrimSpace(field))
			if err != nil || i < 0 || i >= o.buckets {
				return nil, fmt.Errorf("--bucket-indexes: %q is not an index below %d", field, o.buckets)
			}
			indexes = append(indexes, i)
		}
	}
	names := make([]string, 0, len(indexes))
	for _, i := range indexes {
		names = append(names, fmt.Sprintf("%s.%d-of-%d", o.name, i, o.buckets))
	}
	return names, nil
}

// campaign runs one election for the lease `name` until ctx ends.
func campaign(ctx context.Context, client kubernetes.Interface, o options, name string) error {
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, o.namespace, name,
		client.CoreV1(), client.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: o.identity})
	if err != nil {
		return err
	}
	lease := "lease " + o.namespace + "/" + name
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.leaseDuration,
		RenewDeadline:   o.renewDeadline,
		RetryPeriod:     o.retryPeriod,
		ReleaseOnCancel: o.releaseOnCancel,
		Coordinated:     o.coordinated,
		Name:            name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				emit(o.identity, "started_leading", o.identity, lease)
				// The context client-go gives the leader's work: it ends before a release on
				// cancel and when renewing fails, so this is when the leader must stop working.
				go func() { <-ctx.Done(); emit(o.identity, "leading_ended", "", lease) }()
			},
			OnStoppedLeading: func() { emit(o.identity, "stopped_leading", "", lease) },
			OnNewLeader:      func(leader string) { emit(o.identity, "new_leader", leader, lease) },
		},
	})
	if err != nil {
		return err
	}
	emit(o.identity, "campaigning", "", lease)
	// Run returns when ctx ends or leadership is lost; a lost leader campaigns again, as a
	// controller restarted by its kubelet would.
	for ctx.Err() == nil {
		elector.Run(ctx)
	}
	return nil
}

// watchOwnPod cancels ctx once the peer's pod is deleted or marked for deletion.
func watchOwnPod(ctx context.Context, cancel context.CancelFunc, client kubernetes.Interface, o options) {
	selector := fields.OneTermEqualSelector("metadata.name", o.podName).String()
	for ctx.Err() == nil {
		pods, err := client.CoreV1().Pods(o.podNamespace).List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		if len(pods.Items) == 0 || pods.Items[0].DeletionTimestamp != nil {
			emit(o.identity, "stopping", "", "pod "+o.podName+" is gone")
			cancel()
			return
		}
		w, err := client.CoreV1().Pods(o.podNamespace).Watch(ctx, metav1.ListOptions{
			FieldSelector:   selector,
			ResourceVersion: pods.ResourceVersion,
		})
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		for ev := range w.ResultChan() {
			pod, isPod := ev.Object.(*corev1.Pod)
			if ev.Type == watch.Deleted || (isPod && pod.DeletionTimestamp != nil) {
				w.Stop()
				emit(o.identity, "stopping", "", "pod "+o.podName+" is gone")
				cancel()
				return
			}
		}
	}
}
