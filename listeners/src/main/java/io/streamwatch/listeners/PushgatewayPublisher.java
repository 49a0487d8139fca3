package io.streamwatch.listeners;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Gauge;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes metrics to a Prometheus Pushgateway (or hands them to the driver's {@link ScrapeEndpoint}) without ever
 * blocking its caller.
 *
 * <p>A group (job plus grouping labels) is made of parts, one per publisher of it (the listeners of one
 * query share their query's group). {@link #publish} only records the newest snapshot of a part (older,
 * undelivered ones are replaced: only the newest value per series matters) and wakes a single background
 * sender. The sender computes the waiting snapshots and PUTs each group whole (its parts merged), so every
 * push is the group's complete state; when the last part is removed it DELETEs the group. While the
 * Pushgateway is down it keeps the newest snapshots and retries with exponential backoff, logging one
 * warning per outage. Memory is bounded by the number of groups and parts.
 */
public final class PushgatewayPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PushgatewayPublisher.class);
    private static final Map<PushTarget, PushgatewayPublisher> SHARED = new ConcurrentHashMap<>();
    static final int MAX_PENDING = 10_000;
    private static final Duration FIRST_RETRY = Duration.ofMillis(250);
    private static final Duration LAST_RETRY = Duration.ofSeconds(15);
    private static final String WHOLE_GROUP = "";

    private record Key(PushGroup group, String part) {
    }

    /**
     * A snapshot to push, computed on the sender ({@code snapshot}) or elsewhere ({@code computing}, waited for
     * without blocking the sender), or, both null, the removal of the part.
     */
    private record Pending(long sequence, Supplier<? extends Collection<MetricSample>> snapshot,
                           CompletableFuture<? extends Collection<MetricSample>> computing) {
        boolean isReady() {
            return computing == null || computing.isDone();
        }

        boolean isRemoval() {
            return snapshot == null && computing == null;
        }
    }

    /** Where whole groups go: the Pushgateway (PUT and DELETE), or the driver's scrape endpoint. */
    interface Delivery {
        void put(PushGroup group, List<MetricSample> samples) throws IOException;

        void delete(PushGroup group) throws IOException;
    }

    private final PushTarget target;
    private final String printableAddress;
    private final Delivery delivery;
    private final Map<Key, Pending> pending = new ConcurrentHashMap<>();
    private final Set<BiConsumer<PushGroup, Collection<MetricSample>>> forwarders =
            new CopyOnWriteArraySet<>();
    /** What the Pushgateway holds, per group and part; touched by the sender thread only. */
    private final Map<PushGroup, Map<String, Collection<MetricSample>>> pushed = new HashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Semaphore wake = new Semaphore(0);
    private final Object delivered = new Object();
    private final Thread sender;
    private volatile boolean closed;
    private volatile long outageSince = -1;
    private volatile long deliveredPushes;
    private volatile long lastDeliveredMillis = -1;
    private volatile long outages;
    private volatile long droppedSnapshots;
    /** Sequences of dropped snapshots not yet reported by a flush. */
    private final ConcurrentSkipListSet<Long> droppedSequences = new ConcurrentSkipListSet<>();
    private final AtomicLong flushedUpTo = new AtomicLong();
    private final Map<PushGroup, Set<String>> dropWarnings = new ConcurrentHashMap<>();

    /**
     * @param address the Pushgateway as {@code host:port} or {@code http(s)://[user:password@]host:port[/path]}
     * @throws IllegalArgumentException when it is not one (the message holds no credentials)
     */
    public PushgatewayPublisher(String address) {
        this(PushTarget.parse(address));
    }

    public PushgatewayPublisher(PushTarget target) {
        this(target, target.toString(), new PushgatewayHttp(target));
    }

    /** A publisher whose groups go to the driver's scrape endpoint instead of a Pushgateway. */
    PushgatewayPublisher(ScrapeEndpoint endpoint) {
        this(null, endpoint.toString(), endpoint);
    }

    private PushgatewayPublisher(PushTarget target, String printableAddress, Delivery delivery) {
        this.target = target;
        this.printableAddress = printableAddress;
        this.delivery = delivery;
        this.sender = new Thread(this::sendLoop, target == null ? "streamwatch-endpoint-sender" : "streamwatch-pushgateway-sender");
        sender.setDaemon(true);
        sender.start();
    }

    /** One publisher (one sender thread) per target and JVM, shared by every listener and job in it. */
    public static PushgatewayPublisher shared(PushTarget target) {
        return SHARED.computeIfAbsent(target, PushgatewayPublisher::new);
    }

    /** {@link #shared(PushTarget)} for an address; throws IllegalArgumentException (no credentials in it) when it is not one. */
    public static PushgatewayPublisher shared(String address) {
        return shared(PushTarget.parse(address));
    }

    /** The address without credentials. */
    public String address() {
        return printableAddress;
    }

    /**
     * Also hands every newly computed snapshot to {@code forwarder} (e.g. the {@link MetricsTopicBridge}), on the
     * sender thread; what it throws is ignored. Adding the same forwarder again changes nothing.
     */
    public void addForwarder(BiConsumer<PushGroup, Collection<MetricSample>> forwarder) {
        forwarders.add(forwarder);
    }

    public void removeForwarder(BiConsumer<PushGroup, Collection<MetricSample>> forwarder) {
        forwarders.remove(forwarder);
    }

    /** Publishes a group that has a single publisher. */
    public void publish(PushGroup group, Supplier<Collection<MetricSample>> snapshot) {
        publish(group, WHOLE_GROUP, snapshot);
    }

    /**
     * Replaces the part's snapshot to push; returns at once. {@code snapshot} runs later on the sender
     * thread, so it may read files or tables; if it throws, that snapshot is dropped with a warning.
     */
    public void publish(PushGroup group, String part, Supplier<Collection<MetricSample>> snapshot) {
        enqueue(new Key(group, part), new Pending(sequence.incrementAndGet(), snapshot, null));
    }

    /**
     * Replaces the part's snapshot with one being computed elsewhere (e.g. reading a Delta log on a thread of
     * its own), so that slow reads never delay the pushes of other groups; it is pushed once complete, and
     * {@link #flush} waits for it like for any other.
     */
    public void publish(PushGroup group, String part, CompletableFuture<? extends Collection<MetricSample>> computing) {
        Key key = new Key(group, part);
        Pending previous = pending.get(key);
        enqueue(key, new Pending(sequence.incrementAndGet(), null, computing));
        if (previous == null || previous.computing() != computing) { // one wake-up per computation, however often it is published
            computing.whenComplete((samples, failure) -> wake.release());
        }
    }

    /** Removes the part's series; the group goes from the Pushgateway with its last part. Never blocks. */
    public void remove(PushGroup group, String part) {
        enqueue(new Key(group, part), new Pending(sequence.incrementAndGet(), null, null));
    }

    /** Removes a group that has a single publisher. */
    public void remove(PushGroup group) {
        remove(group, WHOLE_GROUP);
    }

    private void enqueue(Key key, Pending next) {
        if (closed) {
            return;
        }
        if (pending.size() >= MAX_PENDING && !pending.containsKey(key)) {
            LOG.warn("Pushgateway {}: {} snapshots waiting; dropping one of {}", printableAddress, MAX_PENDING, key.group());
            return;
        }
        pending.put(key, next);
        wake.release();
    }

    /**
     * Waits until everything published before this call has been delivered, or the timeout passes.
     *
     * @return whether all of it was delivered: false on a timeout (an outage, refused credentials) and when a
     *     snapshot published since the previous flush was refused by the Pushgateway or could not be computed
     */
    public boolean flush(Duration timeout) {
        long upTo = sequence.get();
        long since = flushedUpTo.getAndAccumulate(upTo, Math::max);
        long deadline = System.nanoTime() + timeout.toNanos();
        wake.release();
        synchronized (delivered) {
            while (pending.values().stream().anyMatch(p -> p.sequence() <= upTo)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(delivered, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            boolean nothingDropped = droppedSequences.subSet(since, false, upTo, true).isEmpty();
            droppedSequences.headSet(upTo, true).clear();
            return nothingDropped;
        }
    }

    /** Whether the last push attempt failed and no push has succeeded since. */
    public boolean isInOutage() {
        return outageSince >= 0;
    }

    /** How many outages began (each logged with one warning). */
    public long outages() {
        return outages;
    }

    /** How many pushes (and deletes) reached the Pushgateway. */
    public long deliveredPushes() {
        return deliveredPushes;
    }

    /** When a push last reached the Pushgateway (epoch millis), -1 before the first. */
    public long lastDeliveredMillis() {
        return lastDeliveredMillis;
    }

    /** How many snapshots were dropped: refused by the Pushgateway (4xx) or failing to compute. */
    public long droppedSnapshots() {
        return droppedSnapshots;
    }

    /**
     * The sender: waits for work, or during an outage for the backoff to pass (a publish does not cut it short,
     * so a busy job cannot turn an outage into a retry storm). Nothing a snapshot or a push throws stops it.
     */
    private void sendLoop() {
        Duration backoff = FIRST_RETRY;
        while (!closed) {
            try {
                if (outageSince >= 0) {
                    Thread.sleep(backoff.toMillis());
                } else {
                    wake.acquire();
                }
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
            boolean reached;
            try {
                reached = sendPending();
            } catch (Throwable t) {
                LOG.warn("Pushgateway {}: unexpected failure while pushing; going on: {}", printableAddress, t.toString());
                reached = false;
            }
            backoff = reached ? FIRST_RETRY : min(backoff.multipliedBy(2), LAST_RETRY);
        }
    }

    /** One round over the waiting groups; false when the Pushgateway could not be reached or refused our credentials. */
    private boolean sendPending() {
        Map<PushGroup, Map<Key, Pending>> byGroup = new LinkedHashMap<>();
        pending.forEach((key, next) -> {
            if (next.isReady()) {
                byGroup.computeIfAbsent(key.group(), g -> new LinkedHashMap<>()).put(key, next);
            }
        });
        for (Map.Entry<PushGroup, Map<Key, Pending>> entry : byGroup.entrySet()) {
            PushGroup group = entry.getKey();
            Map<String, Collection<MetricSample>> parts = new LinkedHashMap<>(pushed.getOrDefault(group, Map.of()));
            boolean computed = true;
            for (Map.Entry<Key, Pending> part : entry.getValue().entrySet()) {
                computed &= applyTo(parts, part.getKey(), part.getValue());
            }
            try {
                pushWhole(group, parts);
                deliveredPushes++;
                lastDeliveredMillis = System.currentTimeMillis();
                if (computed) {
                    dropWarnings.remove(group);
                }
            } catch (IOException e) {
                int status = statusOf(e);
                if (status < 0 || status == 401 || status == 403 || status == 408 || status == 429 || status >= 500) {
                    onOutage(status);
                    return false;
                }
                entry.getValue().values().forEach(this::dropped);
                warnDropped(group, "refused the metrics of {} (HTTP " + status + ")", printableAddress, group);
            } catch (RuntimeException | Error e) {
                entry.getValue().values().forEach(this::dropped);
                warnDropped(group, "the metrics of {} cannot be pushed: " + e, printableAddress, group);
            }
            entry.getValue().forEach(pending::remove); // only if not replaced meanwhile
            onDelivered();
        }
        return true;
    }

    /** Puts the part's newest snapshot into the group's parts; false when it could not be computed. */
    private boolean applyTo(Map<String, Collection<MetricSample>> parts, Key key, Pending next) {
        if (next.isRemoval()) {
            parts.remove(key.part());
            return true;
        }
        try {
            List<MetricSample> samples = List.copyOf(next.snapshot() != null ? next.snapshot().get() : next.computing().join());
            parts.put(key.part(), samples);
            for (BiConsumer<PushGroup, Collection<MetricSample>> forwarder : forwarders) {
                try {
                    forwarder.accept(key.group(), samples);
                } catch (RuntimeException | Error e) {
                    LOG.debug("forwarder failed: {}", e.toString());
                }
            }
            return true;
        } catch (RuntimeException | Error e) {
            dropped(next);
            warnDropped(key.group(), "cannot compute the metrics of {}: " + e, printableAddress, key.group());
            return false;
        }
    }

    private void pushWhole(PushGroup group, Map<String, Collection<MetricSample>> parts) throws IOException {
        if (parts.isEmpty()) {
            if (pushed.containsKey(group)) {
                delivery.delete(group);
                pushed.remove(group);
            }
            return;
        }
        List<MetricSample> samples = new ArrayList<>();
        parts.values().forEach(samples::addAll);
        delivery.put(group, samples);
        pushed.put(group, parts);
    }

    private void dropped(Pending snapshot) {
        droppedSnapshots++;
        droppedSequences.add(snapshot.sequence());
    }

    /** Warns about a dropped snapshot once per group and kind of failure, until the group is delivered again. */
    private void warnDropped(PushGroup group, String why, Object... arguments) {
        if (dropWarnings.computeIfAbsent(group, g -> ConcurrentHashMap.newKeySet()).add(why)) {
            LOG.warn("Pushgateway {}: " + why + "; skipping this snapshot (warned once until it recovers)", arguments);
        }
    }

    /** The HTTP status of a failed push, -1 if none came. */
    private static int statusOf(IOException e) {
        return e instanceof PushgatewayHttp.Refused refused ? refused.status : -1;
    }

    private void onOutage(int status) {
        if (outageSince < 0) {
            outageSince = System.nanoTime();
            outages++;
            String why = switch (status) {
                case -1 -> "unreachable";
                case 401, 403 -> "refuses our credentials (HTTP " + status + ")";
                default -> "answers HTTP " + status;
            };
            LOG.warn("Pushgateway {} {}; keeping the newest values and retrying with backoff until it takes them",
                    printableAddress, why);
        }
    }

    private void onDelivered() {
        if (outageSince >= 0) {
            LOG.info("Pushgateway {} reachable again after {} s; newest values delivered", printableAddress,
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - outageSince));
            outageSince = -1;
        }
        synchronized (delivered) {
            delivered.notifyAll();
        }
    }

    /** The samples as gauges; one metric's samples must share their label names (else IllegalArgumentException). */
    static CollectorRegistry registryOf(Collection<MetricSample> samples) {
        CollectorRegistry registry = new CollectorRegistry();
        Map<String, Gauge> gauges = new LinkedHashMap<>();
        Map<String, List<String>> labelNamesOf = new HashMap<>();
        for (MetricSample sample : samples) {
            List<String> labelNames = sample.labels().keySet().stream().sorted().toList();
            List<String> known = labelNamesOf.putIfAbsent(sample.name(), labelNames);
            if (known != null && !known.equals(labelNames)) {
                throw new IllegalArgumentException("metric " + sample.name() + " has samples with label names " + known + " and " + labelNames);
            }
            Gauge gauge = gauges.computeIfAbsent(sample.name(), name -> Gauge.build(name, sample.help())
                    .labelNames(labelNames.toArray(String[]::new)).register(registry));
            gauge.labels(labelNames.stream().map(sample.labels()::get).toArray(String[]::new)).set(sample.value());
        }
        return registry;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        closed = true;
        sender.interrupt();
        if (target != null) {
            SHARED.remove(target, this);
        }
    }
}
