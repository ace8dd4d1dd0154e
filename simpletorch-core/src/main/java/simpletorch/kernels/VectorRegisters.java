package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;

/**
 * How many vector registers the JIT has for a micro-kernel's tile: 16 on x86 without AVX-512 (AVX2's ymm0-15), 32
 * with AVX-512 (zmm0-31) and on AArch64. A register tile sized for 32 spills on a 16-register machine: the GEMM's
 * 6 x 2-vector tile kept one accumulator on the stack, loaded and stored at every step of K (seen in the JIT's
 * code on an AVX2 machine), and ran at 35 GFLOPS where a 4 x 2-vector tile ran at 60-85.
 *
 * <p>{@code -Dsimpletorch.vectorRegisters=16} or {@code 32} overrides the guess (the tests run both tiles that
 * way). Only touched when {@link Gemm#vectorEnabled()}.
 */
final class VectorRegisters {
    static final int COUNT = Integer.getInteger("simpletorch.vectorRegisters", guess());

    private VectorRegisters() {
    }

    private static int guess() {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86");
        return x86 && FloatVector.SPECIES_PREFERRED.vectorBitSize() < 512 ? 16 : 32;
    }
}
