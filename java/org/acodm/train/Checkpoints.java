package org.acodm.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.acodm.config.ConfigTree;
import org.acodm.config.Mappers;
import org.acodm.mixing.AcOdmConfig;
import org.acodm.mixing.ActorExport;
import org.acodm.mixing.MixingMethod;
import org.acodm.train.config.RunConfig;

/**
 * RUN_DIR/checkpoints/step-NNNNNNNN/: a checkpoint is written into a hidden temporary directory, every file
 * is fsynced, then the directory is renamed into place, so a directory with the final name is always
 * complete. A crash mid-write leaves only a ".tmp-" directory, which the next write removes.
 */
public final class Checkpoints {
    public static final String TRAINER_STATE = "trainer.json";
    private final Path dir;

    Checkpoints(Path runDir) {
        this.dir = runDir.resolve("checkpoints");
    }

    Path directory() { return dir; }

    /** Creates the temporary directory a checkpoint of {@code step} is written into. */
    Path begin(long step) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator)
                if (p.getFileName().toString().startsWith(".tmp-")) deleteTree(p);
        }
        Path tmp = dir.resolve(".tmp-" + name(step));
        Files.createDirectories(tmp);
        return tmp;
    }

    /** Makes the checkpoint visible under its final name, then keeps the newest {@code keepLast}. */
    Path commit(Path tmp, long step, int keepLast) throws IOException {
        fsyncTree(tmp);
        Path done = dir.resolve(name(step));
        if (Files.exists(done)) deleteTree(done);
        Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
        fsync(dir);
        List<Path> all = list();
        for (int i = 0; i < all.size() - Math.max(1, keepLast); i++) deleteTree(all.get(i));
        return done;
    }

    /** Complete checkpoints, oldest first. */
    List<Path> list() throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith("step-") && Files.isRegularFile(p.resolve(TRAINER_STATE)))
                    .forEach(out::add);
        }
        out.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return out;
    }

    Optional<Path> latest() throws IOException {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * A checkpoint of the run in {@code runDir}: {@code latest} (the newest complete one), a step number, or the path
     * of a checkpoint directory. The error lists the checkpoints there are.
     */
    public static Path find(Path runDir, String which) throws IOException {
        Checkpoints c = new Checkpoints(runDir);
        List<Path> all = c.list();
        if (which == null || which.equals("latest")) {
            if (all.isEmpty())
                throw new IllegalArgumentException(runDir + " holds no complete checkpoint (no " + c.directory() + "/step-*/" + TRAINER_STATE + ")");
            return all.get(all.size() - 1);
        }
        Path p;
        if (which.matches("\\d+")) p = c.directory().resolve(name(Long.parseLong(which)));
        else p = Path.of(which);
        if (!Files.isRegularFile(p.resolve(TRAINER_STATE)))
            throw new IllegalArgumentException("no complete checkpoint " + p + " (checkpoints of " + runDir + ": "
                    + all.stream().map(q -> q.getFileName().toString()).toList() + ")");
        return p;
    }

    /**
     * Exports the AC-ODM actor held in checkpoint directory {@code ckpt} to {@code file}, as a finished run writes its
     * actor.pt (see {@link ActorExport#exportSaved}): the policy is rebuilt from the checkpoint's config.yaml and
     * domain list (trainer.json) and its saved state.
     */
    public static ActorExport exportActor(Path ckpt, Path file) throws IOException {
        Path stateFile = ckpt.resolve(TRAINER_STATE);
        if (!Files.isRegularFile(stateFile)) throw new IllegalArgumentException(ckpt + " is not a complete checkpoint (no " + TRAINER_STATE + ")");
        JsonNode state = Mappers.JSON.readTree(stateFile.toFile());
        ConfigTree tree = ConfigTree.load(ckpt.resolve("config.yaml"));
        RunConfig cfg = tree.bind(RunConfig.class);
        if (cfg.mixing().method() != MixingMethod.ACODM)
            throw new IllegalArgumentException("checkpoint " + ckpt + " is of a '" + cfg.mixing().method().key()
                    + "' run; only an acodm run trains an actor to export");
        if (!state.path("domains").isArray())
            throw new IllegalArgumentException(stateFile + " lists no domains (a checkpoint written before domains were recorded)");
        List<String> domains = new ArrayList<>();
        state.path("domains").forEach(d -> domains.add(d.asText()));
        AcOdmConfig settings = (AcOdmConfig) cfg.mixing().bindSettings(tree);
        return ActorExport.exportSaved(ckpt.resolve("policy"), domains, settings, cfg.train().steps(), cfg.run().seed(), file);
    }

    static String name(long step) { return String.format("step-%09d", step); }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.delete(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static void fsyncTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s::iterator) fsync(q);
        }
    }

    private static void fsync(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                c.force(true);
            } catch (IOException e) {
                // Some file systems refuse to open directories for fsync; the files themselves are synced.
            }
        } else {
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
                c.force(true);
            }
        }
    }
}
