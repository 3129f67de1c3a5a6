package org.acodm.mixing;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.acodm.data.CounterRandom;
import org.acodm.io.AtomicFile;

/**
 * FIFO replay buffer of DDPG transitions (s, a, r, s'), stored as floats (the networks' precision) in flat arrays
 * so a minibatch crosses to native code as four arrays. Sampling is without replacement and a pure function of
 * (seed, step), so a resumed run draws the same minibatches.
 */
public final class ReplayBuffer {
    /** A minibatch, row-major: states [n, S], actions [n, K], rewards [n, R], nextStates [n, S]. */
    public record Batch(int n, float[] states, float[] actions, float[] rewards, float[] nextStates) {}

    /** The purpose of the minibatch draws in {@link CounterRandom#POLICY}. */
    static final long MINIBATCH = 2;

    private final int capacity, stateDim, actionDim, rewardDim;
    private final float[] states, actions, rewards, nextStates;
    private int size;
    private int next;
    private long added;

    public ReplayBuffer(int capacity, int stateDim, int actionDim, int rewardDim) {
        if (capacity < 1) throw new IllegalArgumentException("replay buffer capacity must be >= 1, got " + capacity);
        this.capacity = capacity;
        this.stateDim = stateDim;
        this.actionDim = actionDim;
        this.rewardDim = rewardDim;
        this.states = new float[capacity * stateDim];
        this.actions = new float[capacity * actionDim];
        this.rewards = new float[capacity * rewardDim];
        this.nextStates = new float[capacity * stateDim];
    }

    public int size() { return size; }
    public int capacity() { return capacity; }

    /** Adds a transition, overwriting the oldest when full. */
    public void add(float[] s, float[] a, float[] r, float[] s2) {
        if (s.length != stateDim || s2.length != stateDim || a.length != actionDim || r.length != rewardDim)
            throw new IllegalArgumentException("transition shapes " + s.length + "/" + a.length + "/" + r.length + "/" + s2.length
                    + " do not match the buffer's " + stateDim + "/" + actionDim + "/" + rewardDim + "/" + stateDim);
        System.arraycopy(s, 0, states, next * stateDim, stateDim);
        System.arraycopy(a, 0, actions, next * actionDim, actionDim);
        System.arraycopy(r, 0, rewards, next * rewardDim, rewardDim);
        System.arraycopy(s2, 0, nextStates, next * stateDim, stateDim);
        next = (next + 1) % capacity;
        size = Math.min(size + 1, capacity);
        added++;
    }

    /** min(n, size) distinct transitions drawn uniformly (Floyd's algorithm keyed by (seed, step)). */
    public Batch sample(int n, long seed, long step) {
        if (size == 0) throw new IllegalStateException("the replay buffer is empty");
        int m = Math.min(n, size);
        int[] idx = new int[m];
        // Floyd: for j = size-m .. size-1 pick t in [0, j]; take t unless already taken, else j. Order kept as drawn.
        java.util.HashSet<Integer> taken = new java.util.HashSet<>();
        int c = 0;
        for (int j = size - m; j < size; j++) {
            int t = CounterRandom.scaled(CounterRandom.POLICY.bits(seed, step, MINIBATCH, c), j + 1);
            int pick = taken.add(t) ? t : j;
            if (pick == j) taken.add(j);
            idx[c++] = pick;
        }
        return gather(idx);
    }

    /** The transitions at the given slots (0 = oldest still held). */
    public Batch gather(int[] idx) {
        int m = idx.length;
        Batch b = new Batch(m, new float[m * stateDim], new float[m * actionDim], new float[m * rewardDim], new float[m * stateDim]);
        int oldest = size < capacity ? 0 : next;
        for (int i = 0; i < m; i++) {
            int slot = (oldest + idx[i]) % capacity;
            System.arraycopy(states, slot * stateDim, b.states(), i * stateDim, stateDim);
            System.arraycopy(actions, slot * actionDim, b.actions(), i * actionDim, actionDim);
            System.arraycopy(rewards, slot * rewardDim, b.rewards(), i * rewardDim, rewardDim);
            System.arraycopy(nextStates, slot * stateDim, b.nextStates(), i * stateDim, stateDim);
        }
        return b;
    }

    /**
     * Writes the filled slots to {@code file} atomically: raw float bits, not JSON, since a full buffer of the paper's size
     * holds millions of floats.
     */
    void save(Path file) throws IOException {
        AtomicFile.write(file, os -> {
            DataOutputStream out = new DataOutputStream(os);
            write(out);
            out.flush();
        });
    }

    /** Restores what {@link #save} wrote; refuses a buffer of other dimensions. */
    void load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no saved replay buffer");
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            read(in);
        }
    }

    private void write(DataOutputStream out) throws IOException {
        out.writeInt(capacity);
        out.writeInt(stateDim);
        out.writeInt(actionDim);
        out.writeInt(rewardDim);
        out.writeInt(size);
        out.writeInt(next);
        out.writeLong(added);
        // Only the filled slots: a young buffer stays small on disk.
        int filled = size < capacity ? size : capacity;
        writeFloats(out, states, filled * stateDim);
        writeFloats(out, actions, filled * actionDim);
        writeFloats(out, rewards, filled * rewardDim);
        writeFloats(out, nextStates, filled * stateDim);
    }

    private void read(DataInputStream in) throws IOException {
        int[] dims = {in.readInt(), in.readInt(), in.readInt(), in.readInt()};
        if (dims[0] != capacity || dims[1] != stateDim || dims[2] != actionDim || dims[3] != rewardDim)
            throw new IOException("saved replay buffer has capacity/state/action/reward " + dims[0] + "/" + dims[1] + "/" + dims[2]
                    + "/" + dims[3] + ", this policy " + capacity + "/" + stateDim + "/" + actionDim + "/" + rewardDim);
        size = in.readInt();
        next = in.readInt();
        added = in.readLong();
        int filled = size < capacity ? size : capacity;
        readFloats(in, states, filled * stateDim);
        readFloats(in, actions, filled * actionDim);
        readFloats(in, rewards, filled * rewardDim);
        readFloats(in, nextStates, filled * stateDim);
    }

    private static void writeFloats(DataOutputStream out, float[] a, int n) throws IOException {
        for (int i = 0; i < n; i++) out.writeInt(Float.floatToRawIntBits(a[i]));
    }

    private static void readFloats(DataInputStream in, float[] a, int n) throws IOException {
        for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat(in.readInt());
    }
}
