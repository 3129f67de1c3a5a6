package org.acodm.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The files of one split, tokenised in parallel and handed back in input order: one thread reads the files in order
 * and cuts their documents into chunks, a pool tokenises the chunks ({@link Tokenizer#encodeForShard}), and
 * {@link #next} returns them in the order they were read, so the shards are the same whatever the thread count. A
 * failure anywhere (a bad file, the tokenizer) comes out of {@link #next} as the original exception.
 */
final class TokenizingPipeline implements AutoCloseable {
    /**
     * A chunk ends after this many characters or documents. Small enough that a 3 MB validation file still gives
     * every worker dozens of chunks (with 2 MB chunks it gave two, and one worker waited for the other at the
     * end); large enough that a chunk's fixed costs (a future, one native batch call) vanish.
     */
    static final int CHUNK_CHARS = ShardPreparer.CHUNK_CHARS;
    static final int CHUNK_DOCS = ShardPreparer.CHUNK_DOCS;

    /** One tokenised chunk: each document's domain and shard row, and the input bytes read up to its end. */
    record Chunk(String[] domains, Tokenizer.ShardRows rows, long inputBytesRead) {}

    private static final Chunk END = new Chunk(null, null, 0);

    private final ExecutorService pool;
    private final BlockingQueue<Future<Chunk>> queue;
    private final Thread reader;
    private final List<Manifest.SourceInfo> sources = new ArrayList<>();
    private boolean ended;

    private TokenizingPipeline(ExecutorService pool, BlockingQueue<Future<Chunk>> queue, List<SourceFile> files, PileReader.Options options,
                               Tokenizer tokenizer, String name) {
        this.pool = pool;
        this.queue = queue;
        this.reader = new Thread(() -> read(files, options, tokenizer), "acodm-read-" + name);
        reader.setDaemon(true);
    }

    /** Starts reading {@code files} (in order) and tokenising on {@code threads} workers. */
    static TokenizingPipeline start(List<SourceFile> files, PileReader.Options options, Tokenizer tokenizer, int threads, String name) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "acodm-tokenize");
            t.setDaemon(true);
            return t;
        });
        // Chunks in flight: the consumer takes them in order, so one slow chunk holds back the finished ones behind it;
        // eight per worker keep the others busy meanwhile (a few MB of text).
        TokenizingPipeline p = new TokenizingPipeline(pool, new ArrayBlockingQueue<>(threads * 8 + 1), files, options, tokenizer, name);
        p.reader.start();
        return p;
    }

    /** The next chunk in input order, or null after the last. */
    Chunk next() throws IOException {
        if (ended) return null;
        Chunk c;
        try {
            c = queue.take().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UncheckedIOException u) throw u.getCause();
            if (cause instanceof IOException io) throw io;
            if (cause instanceof RuntimeException r) throw r;
            throw new IOException(cause);
        }
        if (c == END) {
            ended = true;
            return null;
        }
        return c;
    }

    /** What each file held (its size, its bad lines), in input order; complete once {@link #next} returned null. */
    List<Manifest.SourceInfo> sources() {
        synchronized (sources) {
            return List.copyOf(sources);
        }
    }

    @Override public void close() {
        reader.interrupt();
        pool.shutdownNow();
    }

    /** The reader thread: parses files in order, hands chunks to the pool, queues their futures in order. */
    private void read(List<SourceFile> files, PileReader.Options options, Tokenizer tokenizer) {
        long before = 0;
        try {
            for (SourceFile f : files) {
                try (PileReader r = PileReader.open(f.path(), options)) {
                    List<PileDocument> batch = new ArrayList<>();
                    long chars = 0;
                    PileDocument d;
                    while ((d = r.next()) != null) {
                        batch.add(d);
                        chars += d.text().length();
                        if (chars >= CHUNK_CHARS || batch.size() >= CHUNK_DOCS) {
                            queue.put(submit(tokenizer, batch, before + r.bytesRead()));
                            batch = new ArrayList<>();
                            chars = 0;
                        }
                    }
                    if (!batch.isEmpty()) queue.put(submit(tokenizer, batch, before + r.bytesRead()));
                    PileReader.BadLines bad = r.badLines();
                    synchronized (sources) {
                        sources.add(new Manifest.SourceInfo(f.path().toString(), f.split().dirName(), f.bytes(), bad.count(), bad.examples()));
                    }
                }
                before += f.bytes();
            }
            queue.put(CompletableFuture.completedFuture(END));
        } catch (InterruptedException e) {
            // The consumer gave up (it failed or was interrupted); nothing left to do.
        } catch (Throwable t) {
            try {
                queue.put(CompletableFuture.failedFuture(t));
            } catch (InterruptedException ignored) {
                // the consumer is gone
            }
        }
    }

    private Future<Chunk> submit(Tokenizer tokenizer, List<PileDocument> docs, long inputBytesRead) {
        return pool.submit(() -> {
            String[] domains = new String[docs.size()];
            List<String> texts = new ArrayList<>(docs.size());
            for (int i = 0; i < domains.length; i++) {
                domains[i] = docs.get(i).domain();
                texts.add(docs.get(i).text());
            }
            return new Chunk(domains, tokenizer.encodeForShard(texts), inputBytesRead);
        });
    }
}
