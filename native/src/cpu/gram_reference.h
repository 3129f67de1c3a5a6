// Ground truth for every Gram kernel: plain loops, every product and sum in double.
#pragma once

#include "cpu/gram_cpu.h"

namespace acodm::cpu {

// S (K×K, row-major, symmetric) = sum over segments of <row_i, row_j>. Same validation as gram_cpu.
void gram_reference(const GramSegment* segments, int nseg, int K, double* S);

}  // namespace acodm::cpu
