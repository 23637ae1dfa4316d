/*
 * Machine detection for the memory planner: system memory from
 * /proc/meminfo, the CPU from /proc/cpuinfo, the kernel release, the TTM
 * limits that size the GPU's GTT pool, and every DRM card's PCI identity and
 * memory pools from /sys/class/drm/cardN/device. docs/hw.md says what is read
 * from where and how the GPU memory limit is derived.
 *
 * The files are treated as untrusted-ish input: every read is bounded, every
 * number is checked for overflow, and a malformed /proc/meminfo gives
 * HALO_EFORMAT with a message naming the file and the line. Files that may
 * legitimately be absent (a GPU without mem_info_*, a kernel without the ttm
 * module) leave their field at its "unknown" value and a `have` bit clear.
 *
 * Ownership: halo_machine and halo_gpu are plain values with fixed-size
 * strings; halo_hw_detect() fills caller-provided storage and allocates
 * nothing that outlives the call, so there is nothing to free. The pointers
 * in halo_hw_opts are only read during the call.
 */
#ifndef HALO_HW_H
#define HALO_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HALO_MAX_GPUS 16

#define HALO_PCI_VENDOR_AMD 0x1002u
#define HALO_PCI_VENDOR_NVIDIA 0x10deu
#define HALO_PCI_VENDOR_INTEL 0x8086u

/* halo_gpu.have: which memory files were read (amdgpu only). */
#define HALO_GPU_HAVE_VRAM_TOTAL (1u << 0)     /* mem_info_vram_total */
#define HALO_GPU_HAVE_VRAM_USED (1u << 1)      /* mem_info_vram_used */
#define HALO_GPU_HAVE_VIS_VRAM_TOTAL (1u << 2) /* mem_info_vis_vram_total */
#define HALO_GPU_HAVE_GTT_TOTAL (1u << 3)      /* mem_info_gtt_total */
#define HALO_GPU_HAVE_GTT_USED (1u << 4)       /* mem_info_gtt_used */

typedef struct halo_gpu {
	char card[16];       /* "card1": the /sys/class/drm entry */
	uint32_t vendor;     /* PCI vendor id (device/vendor), e.g. 0x1002 */
	uint32_t device;     /* PCI device id (device/device), e.g. 0x1586 */
	uint32_t revision;   /* PCI revision (device/revision); 0 when absent */
	char driver[32];     /* basename of the device/driver link: "amdgpu", "nvidia", "i915" */
	char pci_slot[32];   /* "0000:c5:00.0" (PCI_SLOT_NAME in device/uevent); "" when unknown */
	/*
	 * True for an AMD GPU that shares system memory with the CPU: its device
	 * id is in the known-APU table (hw.c, sources in docs/hw.md), or, for an
	 * id the table does not know, the amdgpu VRAM is a carve-out: at most
	 * 2 GiB, fully CPU-visible, and at most a quarter of the GTT pool.
	 */
	bool is_apu;
	char gfx_target[16]; /* LLVM processor ("gfx1151") for known AMD ids; "" otherwise */
	/* Bytes, from device/mem_info_*; 0 with the `have` bit clear when absent
	 * (NVIDIA, Intel and other drivers have no such files: memory unknown). */
	uint64_t vram_total, vram_used, vis_vram_total, gtt_total, gtt_used;
	unsigned have;       /* HALO_GPU_HAVE_* */
} halo_gpu;

/* halo_machine.have: optional sources that were present. */
#define HALO_HW_HAVE_MEM_AVAILABLE (1u << 0) /* MemAvailable in meminfo (kernels >= 3.14) */
#define HALO_HW_HAVE_SWAP (1u << 1)          /* SwapTotal and SwapFree in meminfo */
#define HALO_HW_HAVE_TTM_PAGES_LIMIT (1u << 2)
#define HALO_HW_HAVE_TTM_PAGE_POOL_SIZE (1u << 3)
#define HALO_HW_HAVE_GTTSIZE (1u << 4)       /* amdgpu gttsize was readable (mode 0600: root only) */
#define HALO_HW_GPUS_TRUNCATED (1u << 5)     /* more than HALO_MAX_GPUS cards; the rest were skipped */

typedef struct halo_machine {
	/* /proc/meminfo, in bytes (the file says kB, meaning KiB). */
	uint64_t mem_total, mem_available, swap_total, swap_free;
	uint64_t page_size;          /* sysconf(_SC_PAGESIZE); 4096 for a recorded tree */
	/* /sys/module/ttm/parameters, in pages of page_size; 0 when absent. */
	uint64_t ttm_pages_limit, ttm_page_pool_size;
	/* /sys/module/amdgpu/parameters/gttsize in MiB; -1 = the default (GTT
	 * sized by ttm.pages_limit), also when absent or unreadable. */
	int64_t amdgpu_gttsize_mib;
	char cpu_model[128];         /* first "model name" of /proc/cpuinfo; "" when none */
	int n_cpus;                  /* "processor" entries of /proc/cpuinfo (online CPUs) */
	char kernel[64];             /* /proc/sys/kernel/osrelease; "" when absent */
	halo_gpu gpus[HALO_MAX_GPUS]; /* DRM cards with a PCI device, in card-number order */
	size_t n_gpus;
	unsigned have;               /* HALO_HW_HAVE_*, HALO_HW_GPUS_TRUNCATED */
} halo_machine;

typedef struct halo_hw_opts {
	unsigned version;       /* HALO_HW_OPTS_VERSION */
	const char *sysfs_root; /* NULL: "/sys" */
	const char *proc_root;  /* NULL: "/proc" */
	/* Bytes per page for the TTM values. 0: sysconf() when both roots are the
	 * live ones, else 4096 (a recorded tree from an x86-64 machine). */
	uint64_t page_size;
} halo_hw_opts;

#define HALO_HW_OPTS_VERSION 1
#define HALO_HW_OPTS_INIT { HALO_HW_OPTS_VERSION, NULL, NULL, 0 }

/*
 * Fills *out from the live system (opts NULL or roots NULL) or from a
 * recorded tree. Errors: HALO_EUSAGE (bad opts, a root too long),
 * HALO_ENOTFOUND (a root or proc/meminfo does not exist), HALO_EIO (a required
 * file or directory cannot be read), HALO_EFORMAT (malformed meminfo or a
 * sysfs value that is not a number; the message names the file, and the line
 * for meminfo), HALO_ENOMEM (meminfo over 64 KiB, cpuinfo over 16 MiB). On
 * error *out is left zeroed.
 */
int halo_hw_detect(halo_machine *out, const halo_hw_opts *opts);

/* Which llama.cpp GPU backend allocates; the pools they can reach differ on an APU. */
typedef enum halo_hw_backend {
	HALO_HW_BACKEND_VULKAN = 0, /* RADV: GTT plus the CPU-visible carve-out */
	HALO_HW_BACKEND_ROCM = 1,   /* HIP/KFD: the GTT pool or the carve-out, not both */
} halo_hw_backend;

/*
 * Bytes a llama.cpp GPU backend can allocate on `g` (docs/hw.md):
 * - APU, Vulkan: min(gtt_total, mem_total) + vram_total. The GTT pool
 *   (already sized by ttm.pages_limit or amdgpu.gttsize) comes out of system
 *   RAM, so it is capped by MemTotal; the carve-out is outside MemTotal.
 * - APU, ROCm: the kernel sends KFD "VRAM" allocations to GTT when the
 *   carve-out is smaller than GTT (halo_hw_apu_prefers_gtt), so
 *   min(gtt_total, mem_total); otherwise vram_total.
 * - Discrete GPU: vram_total.
 * - 0 when the needed pools are unknown (NVIDIA, Intel: pass --gpu-mem).
 * m may be NULL (then GTT is not capped by MemTotal). Planning headroom for
 * the OS and other processes is the caller's business.
 */
uint64_t halo_hw_gpu_memory_limit_for(const halo_machine *m, const halo_gpu *g, halo_hw_backend backend);

/* halo_hw_gpu_memory_limit_for(m, g, HALO_HW_BACKEND_VULKAN): the larger, backend-neutral bound. */
uint64_t halo_hw_gpu_memory_limit(const halo_machine *m, const halo_gpu *g);

/* The amdgpu rule for APUs (amdgpu_ttm_init): prefer GTT when the carve-out is smaller than GTT. */
bool halo_hw_apu_prefers_gtt(const halo_gpu *g);

/*
 * ttm.pages_limit for a GTT pool of `gtt_bytes`: the bytes in pages of
 * `page_size` (0: 4096), rounded up, e.g. 124 GiB -> 32505856. The kernel
 * reads the parameter once when amdgpu loads, so it goes on the kernel
 * command line or in modprobe.d, followed by a reboot.
 */
uint64_t halo_hw_ttm_pages_for(uint64_t gtt_bytes, uint64_t page_size);

/*
 * The kernel's default ttm.pages_limit (and page_pool_size) for a machine
 * whose MemTotal is `mem_total` bytes: half of its pages, rounded down
 * (ttm_global_init). Times page_size, it is the default GTT pool size.
 */
uint64_t halo_hw_ttm_default_pages(uint64_t mem_total, uint64_t page_size);

/* "amd", "nvidia", "intel", or NULL for other vendors. */
const char *halo_hw_vendor_name(uint32_t vendor);

#endif
