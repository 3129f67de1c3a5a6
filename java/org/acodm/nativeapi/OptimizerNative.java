package org.acodm.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.MemberSetter;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Namespace;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP surface of {@code native/include/acodm/optimizer_settings.h}: the optimizer's settings as the model and the
 * agent networks take them, one field each. Filled from {@code org.acodm.engine.OptimizerSettings}; nothing is retained.
 */
@Platform(include = "acodm/optimizer_settings.h", link = "acodm")
@Namespace("acodm")
public final class OptimizerNative {
    static { Loader.load(); }

    private OptimizerNative() {}

    @Name("OptimizerSettings")
    public static class Settings extends Pointer {
        static { Loader.load(); }

        public Settings() { allocate(); }
        private native void allocate();

        @MemberGetter public native double max_lr();
        @MemberSetter public native Settings max_lr(double value);
        @MemberGetter public native double min_lr();
        @MemberSetter public native Settings min_lr(double value);
        @MemberGetter public native @Cast("int64_t") long warmup();
        @MemberSetter public native Settings warmup(@Cast("int64_t") long value);
        @MemberGetter public native @Cast("int64_t") long total();
        @MemberSetter public native Settings total(@Cast("int64_t") long value);
        @MemberGetter public native double weight_decay();
        @MemberSetter public native Settings weight_decay(double value);
        @MemberGetter public native double beta1();
        @MemberSetter public native Settings beta1(double value);
        @MemberGetter public native double beta2();
        @MemberSetter public native Settings beta2(double value);
        @MemberGetter public native double eps();
        @MemberSetter public native Settings eps(double value);
        @MemberGetter public native @Cast("bool") boolean decoupled();
        @MemberSetter public native Settings decoupled(@Cast("bool") boolean value);
        @MemberGetter public native double grad_clip();
        @MemberSetter public native Settings grad_clip(double value);
    }
}
