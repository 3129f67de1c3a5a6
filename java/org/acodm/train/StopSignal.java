package org.acodm.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM or SIGINT during a run (what batch schedulers send before preempting a job): the JVM's shutdown hook asks the
 * loop to stop after the current step, and holds the exit (up to ten minutes) until the run has written its checkpoint
 * and closed this.
 */
final class StopSignal implements AutoCloseable {
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    StopSignal(Runnable requestStop) {
        this.hook = new Thread(() -> {
            requestStop.run();
            try {
                finished.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "acodm-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting because of the signal; the hook is already running
        }
    }
}
