/* A stand-in for libnvidia-ml.so.1 on machines without an NVIDIA driver, to exercise the agent's
 * run-time NVML path (dlopen, the confidential-computing calls, skipping GPUs without CC). It
 * serves a real H100 report and chain from files; attestd verifies them for real (and finds that
 * their nonce is not this attestation's binding, since a recorded report cannot carry it).
 *   FAKE_NVML_REPORT  hex or binary report file     FAKE_NVML_CHAIN  PEM chain file
 *   FAKE_NVML_NONCE   where to write the nonce the agent asked for (hex)
 * Device 0 is "not in CC mode" (NVML_ERROR_NOT_SUPPORTED); device 1 answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  unsigned int certChainSize;
  unsigned int attestationCertChainSize;
  unsigned char certChain[0x1000];
  unsigned char attestationCertChain[0x1400];
} Cert;

typedef struct {
  unsigned int isCecAttestationReportPresent;
  unsigned int attestationReportSize;
  unsigned int cecAttestationReportSize;
  unsigned char nonce[0x20];
  unsigned char attestationReport[0x2000];
  unsigned char cecAttestationReport[0x1000];
} Report;

static size_t read_file(const char* env, unsigned char* buf, size_t cap) {
  const char* path = getenv(env);
  FILE* f = path ? fopen(path, "rb") : NULL;
  if (!f) return 0;
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int nvmlInit_v2(void) { return 0; }
int nvmlShutdown(void) { return 0; }
int nvmlDeviceGetCount_v2(unsigned int* count) {
  *count = 2;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void** device) {
  *device = (void*)(size_t)(index + 1);
  return 0;
}

int nvmlDeviceGetConfComputeGpuAttestationReport(void* device, Report* report) {
  if ((size_t)device == 1) return 3; /* NVML_ERROR_NOT_SUPPORTED */
  const char* out = getenv("FAKE_NVML_NONCE");
  FILE* f = out ? fopen(out, "w") : NULL;
  if (f) {
    for (int i = 0; i < 0x20; ++i) fprintf(f, "%02x", report->nonce[i]);
    fclose(f);
  }
  static unsigned char text[0x4000 + 16];
  size_t n = read_file("FAKE_NVML_REPORT", text, sizeof text);
  size_t m = 0;
  for (size_t i = 0; i + 1 < n && m < sizeof report->attestationReport; i += 2) {
    while (i < n && (text[i] == '\n' || text[i] == '\r')) ++i;
    if (i + 1 >= n) break;
    int hi = hexval(text[i]), lo = hexval(text[i + 1]);
    if (hi < 0 || lo < 0) return 999;
    report->attestationReport[m++] = (unsigned char)(hi << 4 | lo);
  }
  report->attestationReportSize = (unsigned int)m;
  report->isCecAttestationReportPresent = 0;
  report->cecAttestationReportSize = 0;
  return 0;
}

int nvmlDeviceGetConfComputeGpuCertificate(void* device, Cert* cert) {
  (void)device;
  cert->certChainSize = 0;
  cert->attestationCertChainSize =
      (unsigned int)read_file("FAKE_NVML_CHAIN", cert->attestationCertChain, sizeof cert->attestationCertChain);
  return 0;
}
