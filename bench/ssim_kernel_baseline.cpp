// Baseline (SSE2) variant of the SSIM kernel.
#define BLURKIT_SSIM_KERNEL SsimKernelBaseline
#include "ssim_kernel.inc"
