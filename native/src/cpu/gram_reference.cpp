// Deliberately naive: one pair at a time, one element at a time, double everywhere. Slow (each row is
// re-read K times) but obviously right, which is all a reference has to be.
#include "cpu/gram_reference.h"

namespace acodm::cpu {

void gram_reference(const GramSegment* segments, int nseg, int K, double* S) {
  gram_validate(segments, nseg, K, S);
  for (int i = 0; i < K * K; ++i) S[i] = 0.0;
  for (int s = 0; s < nseg; ++s) {
    const GramSegment& seg = segments[s];
    for (int i = 0; i < K; ++i) {
      for (int j = i; j < K; ++j) {
        const float* a = seg.rows[i];
        const float* b = seg.rows[j];
        double acc = 0.0;
        for (int64_t p = 0; p < seg.length; ++p) acc += static_cast<double>(a[p]) * static_cast<double>(b[p]);
        S[i * K + j] += acc;
      }
    }
  }
  for (int i = 0; i < K; ++i)
    for (int j = 0; j < i; ++j) S[i * K + j] = S[j * K + i];
}

}  // namespace acodm::cpu
