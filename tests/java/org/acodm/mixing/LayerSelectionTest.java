package org.acodm.mixing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The state and reward layers are picked by relative depth, so a proxy and a target of other depths observe the same
 * number of layers at the same places (DESIGN.md section 5: the first layer and every even one; the last three even).
 */
class LayerSelectionTest {
    @Test
    void stateLayersByRelativeDepth() {
        assertEquals(List.of(1, 2, 4, 6, 8, 10, 12, 14, 16), LayerSelection.statePositions(16, 9));
        assertEquals(List.of(1, 3, 6, 9, 12, 15, 18, 21, 24), LayerSelection.statePositions(24, 9));
        assertEquals(9, LayerSelection.statePositions(2, 9).size());
    }

    @Test
    void rewardLayersAreTheLastEvenOnes() {
        assertEquals(List.of(12, 14, 16), LayerSelection.rewardPositions(16, 3));
        assertEquals(List.of(20, 22, 24), LayerSelection.rewardPositions(24, 3));
        assertEquals(List.of(2), LayerSelection.rewardPositions(3, 3));
    }

    @Test
    void positionsNameTheMlpOutputWeightOfTheLayer() {
        assertEquals("gpt_neox.layers.15.mlp.dense_4h_to_h.weight", LayerSelection.mlpOutputWeight(16));
    }
}
