package org.acodm.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.acodm.config.ConfigTree;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;
import org.acodm.io.Directories;
import org.acodm.mixing.AcOdmConfig;
import org.acodm.mixing.ActorExport;
import org.acodm.mixing.MixingMethod;
import org.acodm.train.config.RunConfig;

/**
 * RUN_DIR/checkpoints/step-NNNNNNNNN/: {@code model.ckpt}, {@code policy/}, {@code config.yaml}, {@code trainer.json}
 * and {@code manifest.json}, which lists every other file with its size and CRC32C. A checkpoint is written into
 * {@code .tmp-step-N/}, the manifest last, every file fsynced, then the folder is renamed into place and its parent
 * fsynced: a folder with the final name is always complete, and {@link #check} proves it is still intact before a
 * resume trusts it. Checkpoints written before manifests existed (no manifest.json) are still read: their
 * trainer.json keys and the presence of their files are checked, not their checksums.
 */
public final class Checkpoints {
    public static final String TRAINER_STATE = TrainerState.FILE_NAME;
    public static final String MANIFEST = "manifest.json";
    static final String FORMAT = "acodm-checkpoint";
    static final int FORMAT_VERSION = 1;
    static final String MODEL = "model.ckpt";
    static final String POLICY = "policy";
    static final String CONFIG = "config.yaml";
    /** What every checkpoint holds besides its manifest. */
    static final List<String> REQUIRED = List.of(MODEL, POLICY, CONFIG, TRAINER_STATE);
    private static final Pattern NAME = Pattern.compile("step-(\\d{9,})");
    private static final String DAMAGED_PREFIX = "damaged-";
    /** The folder of a run directory that holds its checkpoints. */
    static final String FOLDER = "checkpoints";

    /**
     * The writes of one checkpoint, in order: before each, {@link #faults} is told its name (with the step), so a test can
     * fail the write or kill the process right there. {@code prune} comes after the rename: the checkpoint is complete.
     */
    static final List<String> STAGES = List.of(MODEL, POLICY, CONFIG, TRAINER_STATE, MANIFEST, "sync", "rename", "prune");

    /** Fault injection for tests (never set in production): called before each of {@link #STAGES}. */
    interface FaultHook {
        void before(long step, String stage) throws IOException;
    }

    static volatile FaultHook faults = (step, stage) -> {};

    private final Path dir;

    Checkpoints(Path runDir) {
        this.dir = runDir.resolve(FOLDER);
    }

    Path directory() { return dir; }

    /** Something written into a checkpoint's folder: a file or a folder at {@code path}. */
    interface Part {
        void write(Path path) throws IOException;
    }

    /** A checkpoint being written; closed without {@link #commit}, its temporary folder is removed. */
    final class Pending implements AutoCloseable {
        private final long step;
        private final Path tmp;
        private boolean committed;

        private Pending(long step, Path tmp) {
            this.step = step;
            this.tmp = tmp;
        }

        /** Writes part {@code name} (one of {@link #REQUIRED}). */
        void write(String name, Part part) throws IOException {
            faults.before(step, name);
            part.write(tmp.resolve(name));
        }

        /** The manifest, then fsync, rename into place and the folder's fsync; then keeps the newest {@code keepLast}. */
        Path commit(int keepLast) throws IOException {
            faults.before(step, MANIFEST);
            AtomicFile.write(tmp.resolve(MANIFEST), Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest(tmp, step)));
            faults.before(step, "sync");
            AtomicFile.syncTree(tmp);
            faults.before(step, "rename");
            Path done = dir.resolve(name(step));
            // A folder of this step can only be one a resume from an older checkpoint left behind: it is moved aside then.
            if (Files.exists(done)) Directories.deleteTree(done);
            AtomicFile.move(tmp, done);
            committed = true;
            faults.before(step, "prune");
            List<Path> all = list();
            for (int i = 0; i < all.size() - Math.max(1, keepLast); i++) Directories.deleteTree(all.get(i));
            return done;
        }

        @Override public void close() {
            if (committed) return;
            try {
                Directories.deleteTree(tmp);
            } catch (IOException | UncheckedIOException e) {
                // left for the next start, which removes stale temporaries before anything else
            }
        }
    }

    /** Starts the checkpoint of {@code step} in a fresh temporary folder (an earlier one of a crashed writer is removed). */
    Pending begin(long step) throws IOException {
        Files.createDirectories(dir);
        removeStale();
        Path tmp = dir.resolve(".tmp-" + name(step));
        Files.createDirectories(tmp);
        return new Pending(step, tmp);
    }

    /** Removes what crashed writers left in the checkpoints folder: {@code .tmp-*} folders and file temporaries. */
    List<Path> removeStale() throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) return removed;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (p.getFileName().toString().startsWith(".tmp-") || AtomicFile.isTemporary(p)) {
                    Directories.deleteTree(p);
                    removed.add(p);
                }
            }
        }
        return removed;
    }

    private static ObjectNode manifest(Path tmp, long step) throws IOException {
        ObjectNode m = Mappers.JSON.createObjectNode();
        m.put("format", FORMAT);
        m.put("format_version", FORMAT_VERSION);
        m.put("step", step);
        ObjectNode files = m.putObject("files");
        for (Map.Entry<String, Path> e : files(tmp).entrySet()) {
            ObjectNode f = files.putObject(e.getKey());
            f.put("bytes", Files.size(e.getValue()));
            f.put("crc32c", crc32c(e.getValue()));
        }
        return m;
    }

    /** Every regular file under {@code root} but the manifest, by path relative to it ('/'-separated), sorted. */
    private static Map<String, Path> files(Path root) throws IOException {
        Map<String, Path> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (!rel.equals(MANIFEST)) out.put(rel, p);
            }
        }
        return out;
    }

    static String crc32c(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(b) >= 0) {
                b.flip();
                crc.update(b);
                b.clear();
            }
        }
        return String.format(Locale.ROOT, "%08x", crc.getValue());
    }

    /** Checkpoint folders with a final name (step-N holding a manifest or, written before manifests, a trainer.json), oldest first. */
    List<Path> list() throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> NAME.matcher(p.getFileName().toString()).matches()
                            && (Files.isRegularFile(p.resolve(MANIFEST)) || Files.isRegularFile(p.resolve(TRAINER_STATE))))
                    .forEach(out::add);
        }
        out.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return out;
    }

    /**
     * What {@link #check} found in one checkpoint: its trainer state when usable, else the problems; notes say what
     * could not be checked (a checkpoint written before manifests has no checksums).
     */
    record Checked(Path dir, long step, TrainerState state, List<String> problems, List<String> notes) {
        boolean usable() { return problems.isEmpty(); }

        String describeProblems() { return String.join("; ", problems); }
    }

    /**
     * Checks checkpoint folder {@code ckpt} without changing anything: the manifest's format, every file it lists
     * present with its size and CRC32C, the required parts present, trainer.json's keys and types, its step equal to
     * the folder's, config.yaml readable.
     */
    static Checked check(Path ckpt) {
        List<String> problems = new ArrayList<>(), notes = new ArrayList<>();
        Matcher nm = NAME.matcher(ckpt.getFileName().toString());
        long step = nm.matches() ? Long.parseLong(nm.group(1)) : -1;
        Path manifestFile = ckpt.resolve(MANIFEST);
        try {
            if (Files.isRegularFile(manifestFile)) checkManifest(ckpt, manifestFile, step, problems);
            else notes.add("written before checkpoints had a manifest: its keys and files are checked, not their checksums");
            for (String part : REQUIRED) {
                Path p = ckpt.resolve(part);
                if (!Files.exists(p)) problems.add(part + " is missing");
                else if (Files.isRegularFile(p) && Files.size(p) == 0) problems.add(part + " is empty");
            }
        } catch (IOException e) {
            problems.add("cannot read it: " + e.getMessage());
        }
        TrainerState state = null;
        if (Files.isRegularFile(ckpt.resolve(TRAINER_STATE))) {
            try {
                state = TrainerState.read(ckpt.resolve(TRAINER_STATE));
                if (step >= 0 && state.nextStep() != step)
                    problems.add(TRAINER_STATE + " says step " + state.nextStep() + ", the folder's name step " + step);
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        if (Files.isRegularFile(ckpt.resolve(CONFIG))) {
            try {
                ConfigTree.load(ckpt.resolve(CONFIG)).bind(RunConfig.class);
            } catch (IOException | RuntimeException e) {
                problems.add("config.yaml: " + e.getMessage());
            }
        }
        List<String> distinct = List.copyOf(new java.util.LinkedHashSet<>(problems));  // a missing file is found by two checks
        return new Checked(ckpt, step, distinct.isEmpty() ? state : null, distinct, List.copyOf(notes));
    }

    private static void checkManifest(Path ckpt, Path manifestFile, long step, List<String> problems) throws IOException {
        JsonNode m;
        try {
            m = Mappers.JSON.readTree(manifestFile.toFile());
        } catch (JsonProcessingException e) {
            problems.add(MANIFEST + " is not valid JSON: " + e.getOriginalMessage());
            return;
        }
        if (m == null || !m.isObject() || !FORMAT.equals(m.path("format").asText(null))) {
            problems.add(MANIFEST + " is not an acodm checkpoint manifest (no \"format\": \"" + FORMAT + "\")");
            return;
        }
        if (!m.path("format_version").isInt() || m.get("format_version").intValue() != FORMAT_VERSION) {
            problems.add(MANIFEST + " has format_version " + m.path("format_version") + ", this build reads " + FORMAT_VERSION);
            return;
        }
        if (!m.path("step").isIntegralNumber() || m.get("step").longValue() != step)
            problems.add(MANIFEST + " is of step " + m.path("step") + ", the folder's name says " + step);
        JsonNode files = m.get("files");
        if (files == null || !files.isObject()) {
            problems.add(MANIFEST + " lists no files");
            return;
        }
        for (var it = files.fields(); it.hasNext(); ) {
            var e = it.next();
            Path f = ckpt.resolve(e.getKey()).normalize();
            JsonNode want = e.getValue();
            if (!f.startsWith(ckpt.normalize()) || !want.path("bytes").canConvertToLong() || !want.path("crc32c").isTextual()) {
                problems.add(MANIFEST + ": bad entry \"" + e.getKey() + "\"");
                continue;
            }
            if (!Files.isRegularFile(f)) {
                problems.add(e.getKey() + " is missing");
                continue;
            }
            long size = Files.size(f), bytes = want.get("bytes").longValue();
            if (size != bytes) {
                problems.add(e.getKey() + " has " + size + " bytes, the manifest recorded " + bytes);
                continue;
            }
            String crc = crc32c(f);
            if (!crc.equals(want.get("crc32c").textValue()))
                problems.add(e.getKey() + " has CRC32C " + crc + ", the manifest recorded " + want.get("crc32c").textValue() + " (its content changed)");
        }
        for (String part : REQUIRED) {
            boolean listed = files.has(part);
            if (!listed) for (var it = files.fieldNames(); it.hasNext(); ) if (it.next().startsWith(part + "/")) listed = true;
            if (!listed) problems.add(MANIFEST + " does not list " + part);
        }
    }

    /** The checkpoint a resume uses, and the newer ones it passed over (with their problems); {@code chosen} null when none is usable. */
    record Selection(Checked chosen, List<Checked> rejected) {}

    /** The newest usable checkpoint, checking from the newest back; nothing is changed. */
    Selection selectForResume() throws IOException {
        List<Path> all = list();
        List<Checked> rejected = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            Checked c = check(all.get(i));
            if (c.usable()) return new Selection(c, List.copyOf(rejected));
            rejected.add(c);
        }
        return new Selection(null, List.copyOf(rejected));
    }

    /**
     * Moves a checkpoint that failed its check out of the way (to {@code damaged-step-N}, kept for inspection), so that
     * neither pruning nor a later resume takes it for a good one. Returns the new path.
     */
    Path setAside(Path ckpt) throws IOException {
        Path to = dir.resolve(DAMAGED_PREFIX + ckpt.getFileName());
        for (int i = 2; Files.exists(to); i++) to = dir.resolve(DAMAGED_PREFIX + ckpt.getFileName() + "-" + i);
        AtomicFile.move(ckpt, to);
        return to;
    }

    /**
     * A usable checkpoint of the run in {@code runDir}: {@code latest} (the newest usable one), a step number, or the path
     * of a checkpoint directory. The error lists the checkpoints there are, or says what is wrong with the one named. Newer
     * checkpoints that {@code latest} passes over as damaged are told to {@code warnings} (and left where they are: only
     * a resume, which holds the run's lock, sets them aside).
     */
    public static Path find(Path runDir, String which, java.util.function.Consumer<String> warnings) throws IOException {
        Checkpoints c = new Checkpoints(runDir);
        List<Path> all = c.list();
        if (which == null || which.equals("latest")) {
            Selection s = c.selectForResume();
            if (s.chosen() == null) {
                if (all.isEmpty())
                    throw new IllegalArgumentException(runDir + " holds no complete checkpoint (no " + c.directory() + "/step-*/" + MANIFEST + ")");
                throw new IllegalArgumentException("no usable checkpoint in " + c.directory() + ": " + describe(s.rejected()));
            }
            for (Checked bad : s.rejected())
                warnings.accept("acodm: warning: checkpoint " + bad.dir() + " is damaged (" + bad.describeProblems() + "); using the newest usable one, "
                        + s.chosen().dir().getFileName());
            return s.chosen().dir();
        }
        Path p;
        if (which.matches("\\d+")) p = c.directory().resolve(name(Long.parseLong(which)));
        else p = Path.of(which);
        if (!Files.isRegularFile(p.resolve(MANIFEST)) && !Files.isRegularFile(p.resolve(TRAINER_STATE)))
            throw new IllegalArgumentException("no complete checkpoint " + p + " (checkpoints of " + runDir + ": "
                    + all.stream().map(q -> q.getFileName().toString()).toList() + ")");
        Checked checked = check(p);
        if (!checked.usable()) throw new IllegalArgumentException("checkpoint " + p + " is damaged: " + checked.describeProblems());
        requireOfRun(runDir, c.directory(), p, checked.state());
        return p;
    }

    /**
     * A checkpoint named by its path must be of the run: one in another run's checkpoints/ folder, or one copied out of its
     * run that trained on other data than the run records, is refused as what it is (the data check that follows would
     * otherwise blame the data for being "prepared again since").
     */
    private static void requireOfRun(Path runDir, Path ownFolder, Path ckpt, TrainerState state) throws IOException {
        Path parent = ckpt.toAbsolutePath().normalize().getParent();
        if (parent == null) return;
        if (Files.isDirectory(ownFolder) && Files.isSameFile(parent, ownFolder)) return;
        Path otherRun = parent.getFileName() != null && parent.getFileName().toString().equals(FOLDER) ? parent.getParent() : null;
        if (otherRun != null && Files.isRegularFile(otherRun.resolve("run.json")) && !Files.isSameFile(otherRun, runDir))
            throw new IllegalArgumentException("checkpoint " + ckpt + " is of another run, " + otherRun + ", not of --run " + runDir
                    + "; evaluate it with --run " + otherRun);
        Path runJson = runDir.resolve("run.json");
        JsonNode recorded = Files.isRegularFile(runJson) ? Mappers.JSON.readTree(runJson.toFile()).get("data") : null;
        if (recorded == null || state.data() == null) return;  // written before runs recorded their data: nothing to compare
        String diff = DataIdentity.fromJson(recorded).difference(state.data());
        if (diff != null)
            throw new IllegalArgumentException("checkpoint " + ckpt + " is not of run " + runDir + ": it trained on other data than the run ("
                    + diff + " differ); evaluate it with --run set to the run it comes from");
    }

    /** The trainer state of a checkpoint that {@link #find} returned. */
    public static long stepOf(Path ckpt) throws IOException {
        return TrainerState.read(ckpt.resolve(TRAINER_STATE)).nextStep();
    }

    /** "step-000000006: trainer.json has CRC32C ...; step-000000004: ..." */
    static String describe(List<Checked> checked) {
        List<String> parts = new ArrayList<>();
        for (Checked c : checked) parts.add(c.dir().getFileName() + ": " + c.describeProblems());
        return String.join("; ", parts);
    }

    /**
     * Exports the AC-ODM actor held in checkpoint directory {@code ckpt} to {@code file}, as a finished run writes its
     * actor.pt (see {@link ActorExport#exportSaved}): the policy is rebuilt from the checkpoint's config.yaml and
     * domain list (trainer.json) and its saved state.
     */
    public static ActorExport exportActor(Path ckpt, Path file) throws IOException {
        Path stateFile = ckpt.resolve(TRAINER_STATE);
        if (!Files.isRegularFile(stateFile)) throw new IllegalArgumentException(ckpt + " is not a complete checkpoint (no " + TRAINER_STATE + ")");
        Checked checked = check(ckpt);
        if (!checked.usable()) throw new IllegalArgumentException("checkpoint " + ckpt + " is damaged: " + checked.describeProblems());
        TrainerState state = checked.state();
        ConfigTree tree = ConfigTree.load(ckpt.resolve(CONFIG));
        RunConfig cfg = tree.bind(RunConfig.class);
        if (cfg.mixing().method() != MixingMethod.ACODM)
            throw new IllegalArgumentException("checkpoint " + ckpt + " is of a '" + cfg.mixing().method().key()
                    + "' run; only an acodm run trains an actor to export");
        if (state.domains() == null)
            throw new IllegalArgumentException(stateFile + " lists no domains (a checkpoint written before domains were recorded)");
        AcOdmConfig settings = (AcOdmConfig) cfg.mixing().bindSettings(tree);
        return ActorExport.exportSaved(ckpt.resolve(POLICY), state.domains(), settings, cfg.train().steps(), cfg.run().seed(), file);
    }

    static String name(long step) { return String.format(Locale.ROOT, "step-%09d", step); }

}
