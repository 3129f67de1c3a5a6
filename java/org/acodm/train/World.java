package org.acodm.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where this process stands among the ranks of a run, read from the environment the way launchers set it: torchrun's
 * (and {@code acodm train --nproc-per-node}'s) RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
 * MASTER_PORT, or Slurm's SLURM_PROCID, SLURM_STEP_NUM_TASKS (else SLURM_NTASKS), SLURM_LOCALID,
 * SLURM_STEP_TASKS_PER_NODE and the first host of SLURM_JOB_NODELIST (MASTER_ADDR and MASTER_PORT win when set;
 * without MASTER_PORT the port is 10000 + SLURM_JOB_ID mod 20000, so the ranks of one job agree on it). Neither: a
 * single process. A bad environment is an {@link IllegalArgumentException} of one line naming the variable.
 *
 * @param source           "single", "torchrun" (RANK / WORLD_SIZE) or "slurm"
 * @param agentStorePrefix "" when rank 0 hosts the rendezvous store; under torchrun with
 *                         TORCHELASTIC_USE_AGENT_STORE=True the agent already hosts it at MASTER_PORT, every rank
 *                         joins it as a client and keeps its keys under this prefix (one per restart attempt,
 *                         TORCHELASTIC_RESTART_COUNT)
 */
public record World(int rank, int size, int localRank, int localSize, String masterAddr, int masterPort, String source,
                    String agentStorePrefix) {
    /** torch.distributed's default rendezvous port. */
    public static final int DEFAULT_PORT = 29500;

    /** A world whose rank 0 hosts the rendezvous store. */
    public World(int rank, int size, int localRank, int localSize, String masterAddr, int masterPort, String source) {
        this(rank, size, localRank, localSize, masterAddr, masterPort, source, "");
    }

    public static World single() { return new World(0, 1, 0, 1, "127.0.0.1", DEFAULT_PORT, "single"); }

    public boolean distributed() { return size > 1; }

    public static World fromEnvironment(Map<String, String> env) {
        if (env.containsKey("WORLD_SIZE") || env.containsKey("RANK")) return torchrun(env);
        if (env.containsKey("SLURM_PROCID") && (env.containsKey("SLURM_STEP_NUM_TASKS") || env.containsKey("SLURM_NTASKS"))) return slurm(env);
        return single();
    }

    private static World torchrun(Map<String, String> env) {
        if (!env.containsKey("WORLD_SIZE")) throw new IllegalArgumentException("RANK is set but WORLD_SIZE is not: set both (torchrun does)");
        int size = integer(env, "WORLD_SIZE");
        if (size < 1) throw new IllegalArgumentException("WORLD_SIZE=" + size + " must be >= 1");
        if (!env.containsKey("RANK")) {
            if (size == 1) return single();
            throw new IllegalArgumentException("WORLD_SIZE=" + size + " but RANK is not set: every rank needs its own RANK in 0 .. " + (size - 1));
        }
        int rank = integer(env, "RANK");
        checkRank("RANK", rank, "WORLD_SIZE", size);
        int localSize = env.containsKey("LOCAL_WORLD_SIZE") ? integer(env, "LOCAL_WORLD_SIZE") : size;
        int localRank = env.containsKey("LOCAL_RANK") ? integer(env, "LOCAL_RANK") : rank;
        if (size == 1) return new World(0, 1, localRank, 1, "127.0.0.1", DEFAULT_PORT, "torchrun");
        String addr = env.get("MASTER_ADDR");
        if (addr == null || addr.isBlank())
            throw new IllegalArgumentException("WORLD_SIZE=" + size + " but MASTER_ADDR is not set: it is the host of rank 0, where the ranks meet "
                    + "(torchrun and `acodm train --nproc-per-node` set it)");
        int port = env.containsKey("MASTER_PORT") ? port(env, "MASTER_PORT") : DEFAULT_PORT;
        // torchrun's agent hosts a store at MASTER_PORT and tells its workers to share it (torch.distributed's own
        // init_process_group does the same); a rank 0 listening there itself would find the port taken.
        String prefix = "";
        if (env.getOrDefault("TORCHELASTIC_USE_AGENT_STORE", "").trim().equalsIgnoreCase("true")) {
            String attempt = env.containsKey("TORCHELASTIC_RESTART_COUNT") ? Integer.toString(integer(env, "TORCHELASTIC_RESTART_COUNT")) : "0";
            prefix = "/acodm/attempt_" + attempt;
        }
        return new World(rank, size, localRank, localSize, addr.trim(), port, "torchrun", prefix);
    }

    private static World slurm(Map<String, String> env) {
        // SLURM_STEP_NUM_TASKS is the srun step's task count; SLURM_NTASKS also holds in an sbatch script itself.
        String sizeKey = env.containsKey("SLURM_STEP_NUM_TASKS") ? "SLURM_STEP_NUM_TASKS" : "SLURM_NTASKS";
        int size = integer(env, sizeKey);
        int rank = integer(env, "SLURM_PROCID");
        if (size < 1) throw new IllegalArgumentException(sizeKey + "=" + size + " must be >= 1");
        checkRank("SLURM_PROCID", rank, sizeKey, size);
        if (size == 1) return single();
        int localRank = env.containsKey("SLURM_LOCALID") ? integer(env, "SLURM_LOCALID") : 0;
        int localSize = tasksPerNode(env.getOrDefault("SLURM_STEP_TASKS_PER_NODE", env.getOrDefault("SLURM_TASKS_PER_NODE", "")), size);
        String addr = env.get("MASTER_ADDR");
        if (addr == null || addr.isBlank()) {
            String nodes = env.getOrDefault("SLURM_STEP_NODELIST", env.getOrDefault("SLURM_JOB_NODELIST", env.get("SLURM_NODELIST")));
            if (nodes == null || nodes.isBlank())
                throw new IllegalArgumentException("Slurm rank " + rank + " of " + size + ": neither MASTER_ADDR nor SLURM_JOB_NODELIST is set, so rank 0's host is unknown");
            addr = expandNodeList(nodes).get(0);
        }
        int port;
        if (env.containsKey("MASTER_PORT")) port = port(env, "MASTER_PORT");
        else if (env.containsKey("SLURM_JOB_ID")) port = 10000 + (int) (Long.parseLong(env.get("SLURM_JOB_ID").trim()) % 20000);
        else port = DEFAULT_PORT;
        return new World(rank, size, localRank, localSize, addr.trim(), port, "slurm");
    }

    /**
     * The hosts of a Slurm node list, in order: {@code node[01-04,07]} is node01, node02, node03, node04, node07;
     * {@code a,b[1-2]} is a, b1, b2; several bracket groups in one name multiply ({@code r[1-2]-n[1-2]}).
     */
    public static List<String> expandNodeList(String list) {
        List<String> out = new ArrayList<>();
        for (String item : splitTopLevel(list.trim())) {
            if (!item.isEmpty()) expandName(item, 0, "", out, list);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("Slurm node list '" + list + "' names no host");
        return out;
    }

    private static void expandName(String name, int from, String prefix, List<String> out, String list) {
        int open = name.indexOf('[', from);
        if (open < 0) {
            out.add(prefix + name.substring(from));
            return;
        }
        int close = name.indexOf(']', open);
        if (close < 0) throw new IllegalArgumentException("Slurm node list '" + list + "': unclosed '[' in '" + name + "'");
        String head = prefix + name.substring(from, open);
        for (String range : name.substring(open + 1, close).split(",")) {
            range = range.trim();
            int dash = range.indexOf('-');
            String lo = dash < 0 ? range : range.substring(0, dash), hi = dash < 0 ? range : range.substring(dash + 1);
            if (!lo.matches("\\d+") || !hi.matches("\\d+"))
                throw new IllegalArgumentException("Slurm node list '" + list + "': '" + range + "' is not a number or a range a-b");
            long a = Long.parseLong(lo), b = Long.parseLong(hi);
            if (b < a) throw new IllegalArgumentException("Slurm node list '" + list + "': range '" + range + "' runs backwards");
            for (long v = a; v <= b; v++) {
                String digits = Long.toString(v);
                while (digits.length() < lo.length()) digits = "0" + digits;  // node[01-04]: the width of the lower bound
                expandName(name, close + 1, head + digits, out, list);
            }
        }
    }

    /** Commas outside brackets separate names. */
    private static List<String> splitTopLevel(String list) {
        List<String> items = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == ',' && depth == 0) {
                items.add(list.substring(start, i).trim());
                start = i + 1;
            }
        }
        items.add(list.substring(start).trim());
        return items;
    }

    /** The first node's task count of SLURM_STEP_TASKS_PER_NODE ("2(x3),1" is 2), or {@code size} when unknown. */
    private static int tasksPerNode(String spec, int size) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\s*(\\d+)").matcher(spec);
        return m.find() ? Math.max(1, Integer.parseInt(m.group(1))) : size;
    }

    private static void checkRank(String rankKey, int rank, String sizeKey, int size) {
        if (rank < 0 || rank >= size)
            throw new IllegalArgumentException(rankKey + "=" + rank + " is outside " + sizeKey + "=" + size + " (ranks are 0 .. " + (size - 1) + ")");
    }

    private static int integer(Map<String, String> env, String key) {
        String v = env.get(key);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException(key + "='" + v + "' is not an integer");
        }
    }

    private static int port(Map<String, String> env, String key) {
        int p = integer(env, key);
        if (p < 1 || p > 65535) throw new IllegalArgumentException(key + "=" + p + " is not a port (1 .. 65535)");
        return p;
    }

    @Override public String toString() {
        return size == 1 ? "1 process" : "rank " + rank + " of " + size + " (" + source + ", rendezvous " + masterAddr + ":" + masterPort + ")";
    }
}
