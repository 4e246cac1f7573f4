// AVX2 + FMA variant of the SSIM kernel (compiled with -mavx2 -mfma; called only where the
// processor has both).
#define BLURKIT_SSIM_KERNEL SsimKernelAvx2
#include "ssim_kernel.inc"
