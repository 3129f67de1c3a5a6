package org.acodm.engine;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;

/**
 * Exactly-one-owner holder of a native object: close() is idempotent (an atomic swap to null) and any
 * use after close throws {@link IllegalStateException}. Native failures surface as {@link NativeException}
 * carrying the native message, never as a crash. Public so that the benchmarks' native fixtures (bench/, a library
 * of their own) are owned the same way.
 */
public final class NativeHandle<P extends Pointer> implements AutoCloseable {
    private final AtomicReference<P> pointer;
    private final String what;

    public NativeHandle(String what, Supplier<P> create) {
        this.what = what;
        this.pointer = new AtomicReference<>(call(what, create));
    }

    public P get() {
        P p = pointer.get();
        if (p == null) throw new IllegalStateException(what + " is closed");
        return p;
    }

    public <R> R apply(Function<P, R> f) {
        P p = get();
        return call(what, () -> f.apply(p));
    }

    public static <R> R call(String what, Supplier<R> f) {
        try {
            return f.get();
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            // JavaCPP turns std::exception (including c10::Error) into RuntimeException with what().
            throw new NativeException(what + ": " + e.getMessage(), e);
        }
    }

    public boolean isClosed() {
        return pointer.get() == null;
    }

    @Override public void close() {
        P p = pointer.getAndSet(null);
        if (p != null) p.close();
    }
}
