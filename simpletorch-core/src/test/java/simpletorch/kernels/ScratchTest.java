package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * {@link Scratch}'s buffers: grown, never shrunk, and the aligned ones large enough for G1 to place them alone (under
 * G1 with a heap large enough for a region per slot and thread, as the test JVM's default heap is here).
 */
class ScratchTest {
    @Test
    void alignedBuffersAreKeptAndTakeRegionsOfTheirOwnUnderG1() throws Exception {
        float[] first = Scratch.aligned(Scratch.PADDED_DIN, 100);
        assertThat(first.length).isGreaterThanOrEqualTo(100);
        assertThat(Scratch.aligned(Scratch.PADDED_DIN, 50)).isSameAs(first);
        assertThat(Scratch.get(Scratch.PADDED_DIN, 80)).isSameAs(first); // a plain get of the slot keeps it

        var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        if (Scratch.alignsBuffers()) {
            assertThat(vm.getVMOption("UseG1GC").getValue()).isEqualTo("true");
            long region = Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue());
            // at least half a region: G1 allocates it as a humongous object, from a region's start
            assertThat((long) first.length * Float.BYTES).isGreaterThan(region / 2);
        }
        float[] larger = Scratch.aligned(Scratch.PADDED_DIN, first.length + 1);
        assertThat(larger).isNotSameAs(first);
        assertThat(larger.length).isGreaterThan(first.length);
    }

    /** Aligned under G1 when a region per aligned slot and thread is at most a 32nd of the heap; plain otherwise. */
    @Test
    void alignsWhereTheHeapAllowsIt() {
        var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        boolean g1 = "true".equals(vm.getVMOption("UseG1GC").getValue());
        long region = g1 ? Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue()) : 0;
        long threads = Runtime.getRuntime().availableProcessors() + 1L;
        boolean affordable = 3 * threads * region <= Runtime.getRuntime().maxMemory() / 32;
        assertThat(Scratch.alignsBuffers()).as("G1 %s, regions of %d bytes, %d threads, heap %d bytes", g1, region,
                threads, Runtime.getRuntime().maxMemory()).isEqualTo(g1 && affordable);
    }

    @Test
    void plainBuffersGrowToWhatIsAsked() {
        float[] small = Scratch.get(Scratch.LANES, 4);
        assertThat(small.length).isGreaterThanOrEqualTo(4);
        assertThat(Scratch.get(Scratch.LANES, 2)).isSameAs(small);
        assertThat(Scratch.get(Scratch.LANES, small.length + 3).length).isEqualTo(small.length + 3);
    }
}
