package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ranks' environment as torchrun and Slurm set it, and Slurm node lists expanded. */
class WorldTest {
    @Test void noVariablesIsOneProcess() {
        World w = World.fromEnvironment(Map.of("HOME", "/root"));
        assertFalse(w.distributed());
        assertEquals("single", w.source());
    }

    @Test void torchrunVariables() {
        World w = World.fromEnvironment(Map.of("RANK", "3", "WORLD_SIZE", "8", "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "4",
                "MASTER_ADDR", "node07", "MASTER_PORT", "29400"));
        assertEquals(new World(3, 8, 1, 4, "node07", 29400, "torchrun"), w);
        World dflt = World.fromEnvironment(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "h"));
        assertEquals(World.DEFAULT_PORT, dflt.masterPort());
        assertEquals(1, dflt.localRank());
        assertFalse(World.fromEnvironment(Map.of("WORLD_SIZE", "1")).distributed());
        assertEquals("", w.agentStorePrefix(), "rank 0 hosts the store");
    }

    /** torch >= 2 torchrun: the agent's store is at MASTER_PORT already; the ranks share it, one prefix per restart. */
    @Test void torchrunsAgentStoreIsJoinedNotHosted() {
        Map<String, String> env = new java.util.HashMap<>(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "n1", "MASTER_PORT", "29500",
                "TORCHELASTIC_USE_AGENT_STORE", "True"));
        assertEquals("/acodm/attempt_0", World.fromEnvironment(env).agentStorePrefix());
        env.put("TORCHELASTIC_RESTART_COUNT", "2");
        assertEquals("/acodm/attempt_2", World.fromEnvironment(env).agentStorePrefix());
        env.put("TORCHELASTIC_USE_AGENT_STORE", "False");
        assertEquals("", World.fromEnvironment(env).agentStorePrefix());
    }

    @Test void slurmVariablesWithTheFirstHostOfTheNodeList() {
        World w = World.fromEnvironment(Map.of("SLURM_PROCID", "5", "SLURM_NTASKS", "16", "SLURM_STEP_NUM_TASKS", "8",
                "SLURM_LOCALID", "1", "SLURM_STEP_TASKS_PER_NODE", "4(x2)", "SLURM_JOB_NODELIST", "gpu[03-04,07],cpu1", "SLURM_JOB_ID", "123456"));
        assertEquals(new World(5, 8, 1, 4, "gpu03", 10000 + 123456 % 20000, "slurm"), w);
        World withAddr = World.fromEnvironment(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_JOB_NODELIST", "a,b",
                "MASTER_ADDR", "10.1.2.3", "MASTER_PORT", "4000"));
        assertEquals("10.1.2.3", withAddr.masterAddr());
        assertEquals(4000, withAddr.masterPort());
        // The sbatch script itself (one task in its step) is a single process, whatever SLURM_NTASKS says.
        assertFalse(World.fromEnvironment(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "4", "SLURM_STEP_NUM_TASKS", "1")).distributed());
        // torchrun inside a Slurm allocation: torchrun's variables win.
        assertEquals("torchrun", World.fromEnvironment(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "RANK", "1", "WORLD_SIZE", "2",
                "MASTER_ADDR", "x")).source());
    }

    @Test void nodeListsExpand() {
        assertEquals(List.of("node01", "node02", "node03", "node04", "node07"), World.expandNodeList("node[01-04,07]"));
        assertEquals(List.of("a", "b1", "b2", "c"), World.expandNodeList("a,b[1-2],c"));
        assertEquals(List.of("r1-n08", "r1-n09", "r1-n10", "r2-n08", "r2-n09", "r2-n10"), World.expandNodeList("r[1-2]-n[08-10]"));
        assertEquals(List.of("host"), World.expandNodeList(" host "));
        assertThrows(IllegalArgumentException.class, () -> World.expandNodeList("n[1-"));
        assertThrows(IllegalArgumentException.class, () -> World.expandNodeList("n[3-1]"));
        assertThrows(IllegalArgumentException.class, () -> World.expandNodeList("n[a-b]"));
    }

    @Test void badEnvironmentsNameTheVariable() {
        assertMessage("RANK=2 is outside WORLD_SIZE=2 (ranks are 0 .. 1)", Map.of("RANK", "2", "WORLD_SIZE", "2", "MASTER_ADDR", "h"));
        assertMessage("RANK='x' is not an integer", Map.of("RANK", "x", "WORLD_SIZE", "2", "MASTER_ADDR", "h"));
        assertMessage("RANK is set but WORLD_SIZE is not: set both (torchrun does)", Map.of("RANK", "0"));
        assertMessage("WORLD_SIZE=2 but RANK is not set: every rank needs its own RANK in 0 .. 1", Map.of("WORLD_SIZE", "2"));
        assertMessage("MASTER_PORT=70000 is not a port (1 .. 65535)", Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "70000"));
        assertMessage("SLURM_PROCID=4 is outside SLURM_NTASKS=4 (ranks are 0 .. 3)", Map.of("SLURM_PROCID", "4", "SLURM_NTASKS", "4"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> World.fromEnvironment(Map.of("WORLD_SIZE", "2", "RANK", "0")))
                .getMessage().startsWith("WORLD_SIZE=2 but MASTER_ADDR is not set"));
    }

    @Test void threadsAreSharedOutAmongTheRanksOfAHost() {
        World four = new World(0, 4, 0, 4, "h", 1, "torchrun");
        int cpus = Runtime.getRuntime().availableProcessors();
        assertEquals(Math.max(1, cpus / 4), DataParallel.threads(0, four));
        assertEquals(3, DataParallel.threads(3, four));
        assertEquals(0, DataParallel.threads(0, World.single()));
    }

    @Test void everyRanksMicroBatchesAreNoLargerThanOneProcesss() {
        // batch 12 in 3 micro-batches of 4 windows: 2 ranks train 6 windows each, in 3 micro-batches of 2.
        DataParallel.Slices twoOfTwelve = new DataParallel.Slices(new World(1, 2, 1, 2, "h", 1, "torchrun"));
        assertEquals(6, twoOfTwelve.first(12));
        assertEquals(6, twoOfTwelve.count(12));
        assertEquals(3, twoOfTwelve.microBatches(12, 3));
        // batch 8 in 1 micro-batch: each of 2 ranks trains its 4 windows at once; 4 in 4 of 1: each rank 2 of 1.
        assertEquals(1, twoOfTwelve.microBatches(8, 1));
        assertEquals(2, twoOfTwelve.microBatches(4, 4));
        assertEquals(4, new DataParallel.Slices(World.single()).microBatches(8, 4));
    }

    private static void assertMessage(String want, Map<String, String> env) {
        assertEquals(want, assertThrows(IllegalArgumentException.class, () -> World.fromEnvironment(env)).getMessage());
    }
}
