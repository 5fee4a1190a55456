#include "tpm.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

namespace attestd::agent {

namespace {

// TCG EK Credential Profile 2.x, Annex B: the authPolicy of the low-range templates (PolicyA,
// SHA-256: PolicySecret(TPM_RH_ENDORSEMENT)) ...
constexpr uint8_t kEkPolicyASha256[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC,
                                          0x8D, 0x46, 0xA5, 0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52,
                                          0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};
// ... and of the high-range SHA-384 templates H-2/H-3 (PolicyB, SHA-384: PolicyOR of PolicyA and
// PolicyC). The agent never satisfies it (H-3 sets userWithAuth); it is part of the template, so
// a wrong byte gives another key, which the e2e test would see as an EK that does not match its
// certificate.
constexpr uint8_t kEkPolicyBSha384[48] = {
    0xB2, 0x6E, 0x7D, 0x28, 0xD1, 0x1A, 0x50, 0xBC, 0x53, 0xD8, 0x82, 0xBC, 0xF5, 0xFD, 0x3A, 0x1A,
    0x07, 0x41, 0x48, 0xBB, 0x35, 0xD3, 0xB4, 0xE4, 0xCB, 0x1C, 0x0A, 0xD9, 0xBD, 0xE4, 0x19, 0xCA,
    0xCB, 0x47, 0xBA, 0x09, 0x69, 0x96, 0x46, 0x15, 0x0F, 0x9F, 0xC0, 0x00, 0xF3, 0xF8, 0x0E, 0x12};
// TCG EK Credential Profile 2.x, 2.2.1.4 (low range) and 2.2.1.5 (high range): EK certificate
// NV indices.
constexpr TPM2_HANDLE kRsa2048EkCertIndex = 0x01c00002;
constexpr TPM2_HANDLE kEccP256EkCertIndex = 0x01c0000a;
constexpr TPM2_HANDLE kEccP384EkCertIndex = 0x01c00016;
constexpr uint16_t kNvChunk = 512;  // below every TPM's TPM_PT_NV_BUFFER_MAX
constexpr size_t kMaxEkCertificate = 4096;

Error tpm_error(std::string_view what, TSS2_RC rc) {
  const char* decoded = Tss2_RC_Decode(rc);
  const std::string message = fmt::format("{}: {} (0x{:08x})", what, decoded ? decoded : "?", rc);
  if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER) return {"agent.tpm.unreachable", message};
  // TPM 2.0 Part 2, 6.6.3: TPM_RC_FAILURE, the TPM is in failure mode and only answers
  // GetTestResult / GetCapability.
  if ((rc & ~TSS2_RC_LAYER_MASK) == TPM2_RC_FAILURE) return {"agent.tpm.failure_mode", message};
  return {"agent.tpm.command_failed", message};
}

template <typename T>
struct EsysPtr {
  T* p = nullptr;
  ~EsysPtr() { Esys_Free(p); }
  T** operator&() { return &p; }  // NOLINT: ESAPI output parameters
  T* operator->() const { return p; }
};

template <typename T, typename Marshal>
Bytes marshal(const T& value, Marshal fn) {
  Bytes out(sizeof(T) + 16);
  size_t offset = 0;
  if (fn(&value, out.data(), out.size(), &offset) != TSS2_RC_SUCCESS) return {};
  out.resize(offset);
  return out;
}

template <typename T, typename Unmarshal>
std::optional<T> unmarshal(const Bytes& bytes, Unmarshal fn) {
  T value{};
  size_t offset = 0;
  if (fn(bytes.data(), bytes.size(), &offset, &value) != TSS2_RC_SUCCESS || offset != bytes.size()) {
    return std::nullopt;
  }
  return value;
}

TPM2B_PUBLIC ek_template(EkTemplate ek) {
  TPM2B_PUBLIC t{};
  auto& p = t.publicArea;
  // Attributes of every EK template; H-3 adds userWithAuth (0x000300b2 / 0x000300f2).
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  switch (ek) {
    case EkTemplate::rsa2048:  // Template L-1
      p.type = TPM2_ALG_RSA;
      p.nameAlg = TPM2_ALG_SHA256;
      p.authPolicy.size = sizeof kEkPolicyASha256;
      std::memcpy(p.authPolicy.buffer, kEkPolicyASha256, sizeof kEkPolicyASha256);
      p.parameters.rsaDetail.symmetric = {TPM2_ALG_AES, {128}, {TPM2_ALG_CFB}};
      p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.rsaDetail.keyBits = 2048;
      p.parameters.rsaDetail.exponent = 0;
      p.unique.rsa.size = 256;  // zero-filled
      break;
    case EkTemplate::ecc_p256:  // Template L-2
      p.type = TPM2_ALG_ECC;
      p.nameAlg = TPM2_ALG_SHA256;
      p.authPolicy.size = sizeof kEkPolicyASha256;
      std::memcpy(p.authPolicy.buffer, kEkPolicyASha256, sizeof kEkPolicyASha256);
      p.parameters.eccDetail.symmetric = {TPM2_ALG_AES, {128}, {TPM2_ALG_CFB}};
      p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
      p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
      p.unique.ecc.x.size = 32;  // zero-filled
      p.unique.ecc.y.size = 32;
      break;
    case EkTemplate::ecc_p384:  // Template H-3: unique is empty in the high range
      p.type = TPM2_ALG_ECC;
      p.nameAlg = TPM2_ALG_SHA384;
      p.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
      p.authPolicy.size = sizeof kEkPolicyBSha384;
      std::memcpy(p.authPolicy.buffer, kEkPolicyBSha384, sizeof kEkPolicyBSha384);
      p.parameters.eccDetail.symmetric = {TPM2_ALG_AES, {256}, {TPM2_ALG_CFB}};
      p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
      p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
      break;
  }
  return t;
}

// tpm2_createak's attributes and schemes (tpm2-tools 5.x, tpm2_createak.c).
TPM2B_PUBLIC ak_template(KeyAlg alg) {
  TPM2B_PUBLIC t{};
  auto& p = t.publicArea;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT |
                       TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN;
  if (alg == KeyAlg::rsa) {
    p.type = TPM2_ALG_RSA;
    p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    p.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.rsaDetail.keyBits = 2048;
  } else {
    p.type = TPM2_ALG_ECC;
    p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  }
  return t;
}

std::optional<std::string> bank_name(TPMI_ALG_HASH alg) {
  switch (alg) {
    case TPM2_ALG_SHA1: return "sha1";
    case TPM2_ALG_SHA256: return "sha256";
    case TPM2_ALG_SHA384: return "sha384";
    case TPM2_ALG_SHA512: return "sha512";
    default: return std::nullopt;
  }
}

std::optional<TPMI_ALG_HASH> bank_alg(std::string_view name) {
  for (const TPMI_ALG_HASH a : {TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384, TPM2_ALG_SHA512}) {
    if (bank_name(a) == name) return a;
  }
  return std::nullopt;
}

std::expected<Bytes, Error> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(Error{"agent.ak.load_failed", fmt::format("cannot read {}", path.string())});
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::expected<void, Error> write_private_file(const std::filesystem::path& path, const Bytes& data) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(Error{"agent.state.write_failed", fmt::format("cannot write {}", tmp)});
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path, ec);
  if (!ok || ec)
    return std::unexpected(Error{"agent.state.write_failed", fmt::format("cannot write {}", path.string())});
  return {};
}

}  // namespace

std::optional<EkTemplate> parse_ek_template(std::string_view name) {
  if (name == "rsa" || name == "rsa2048") return EkTemplate::rsa2048;
  if (name == "ecc" || name == "ecc256") return EkTemplate::ecc_p256;
  if (name == "ecc384") return EkTemplate::ecc_p384;
  return std::nullopt;
}

TPM2_HANDLE ek_certificate_index(EkTemplate ek) {
  switch (ek) {
    case EkTemplate::rsa2048: return kRsa2048EkCertIndex;
    case EkTemplate::ecc_p256: return kEccP256EkCertIndex;
    case EkTemplate::ecc_p384: return kEccP384EkCertIndex;
  }
  return kRsa2048EkCertIndex;
}

std::expected<std::unique_ptr<Tpm>, Error> Tpm::open(const std::string& tcti) {
  TSS2_TCTI_CONTEXT* t = nullptr;
  if (auto rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &t); rc != TSS2_RC_SUCCESS) {
    // No TCTI library of that name, or a configuration string it does not take: retrying cannot
    // help, the configuration must change. Anything else (no device yet, nothing listening) may
    // pass.
    const auto base = rc & ~TSS2_RC_LAYER_MASK;
    const bool config = base == TSS2_BASE_RC_NOT_SUPPORTED || base == TSS2_BASE_RC_BAD_VALUE;
    return std::unexpected(Error{config ? "agent.config.tcti" : "agent.tpm.unreachable",
                                 fmt::format("cannot open TCTI \"{}\": {}", tcti, Tss2_RC_Decode(rc))});
  }
  ESYS_CONTEXT* e = nullptr;
  if (auto rc = Esys_Initialize(&e, t, nullptr); rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&t);
    return std::unexpected(tpm_error(fmt::format("cannot start ESAPI on \"{}\"", tcti), rc));
  }
  auto tpm = std::unique_ptr<Tpm>(new Tpm(t, e));
  // A TPM in failure mode still answers GetCapability; ask for something cheap so that an
  // unusable TPM is reported here, before any key work.
  EsysPtr<TPMS_CAPABILITY_DATA> cap;
  TPMI_YES_NO more = 0;
  if (auto rc = Esys_GetCapability(e, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                                   TPM2_PT_MANUFACTURER, 1, &more, &cap);
      rc != TSS2_RC_SUCCESS) {
    return std::unexpected(tpm_error("the TPM does not answer", rc));
  }
  EsysPtr<TPM2B_DIGEST> random;
  if (auto rc = Esys_GetRandom(e, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, 8, &random); rc != TSS2_RC_SUCCESS) {
    return std::unexpected(tpm_error("the TPM refuses commands", rc));
  }
  return tpm;
}

void Tpm::end_ek_authorization(ESYS_TR& auth) {
  if (auth != ESYS_TR_PASSWORD) flush(auth);
  auth = ESYS_TR_NONE;
}

void Tpm::flush(ESYS_TR& handle) {
  if (handle != ESYS_TR_NONE) Esys_FlushContext(esys_, handle);
  handle = ESYS_TR_NONE;
}

Tpm::~Tpm() {
  flush(ak_);
  flush(ek_);
  Esys_Finalize(&esys_);
  Tss2_TctiLdr_Finalize(&tcti_);
}

std::expected<Bytes, Error> Tpm::endorsement_key(EkTemplate ek) {
  flush(ek_);
  ek_template_ = ek;
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_PUBLIC in_public = ek_template(ek);
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION creation_pcr{};
  EsysPtr<TPM2B_PUBLIC> out_public;
  EsysPtr<TPM2B_CREATION_DATA> creation_data;
  EsysPtr<TPM2B_DIGEST> creation_hash;
  EsysPtr<TPMT_TK_CREATION> creation_ticket;
  if (auto rc = Esys_CreatePrimary(esys_, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                   &sensitive, &in_public, &outside, &creation_pcr, &ek_, &out_public, &creation_data,
                                   &creation_hash, &creation_ticket);
      rc != TSS2_RC_SUCCESS) {
    ek_ = ESYS_TR_NONE;
    return std::unexpected(tpm_error("TPM2_CreatePrimary (EK)", rc));
  }
  return marshal(*out_public.p, Tss2_MU_TPM2B_PUBLIC_Marshal);
}

std::expected<std::optional<Bytes>, Error> Tpm::ek_certificate(EkTemplate ek) {
  const TPM2_HANDLE index = ek_certificate_index(ek);
  ESYS_TR nv = ESYS_TR_NONE;
  if (Esys_TR_FromTPMPublic(esys_, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv) != TSS2_RC_SUCCESS) {
    return std::optional<Bytes>{};  // no certificate provisioned
  }
  EsysPtr<TPM2B_NV_PUBLIC> pub;
  EsysPtr<TPM2B_NAME> name;
  if (auto rc = Esys_NV_ReadPublic(esys_, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name);
      rc != TSS2_RC_SUCCESS) {
    Esys_TR_Close(esys_, &nv);
    return std::unexpected(tpm_error("TPM2_NV_ReadPublic (EK certificate)", rc));
  }
  const uint16_t size = pub->nvPublic.dataSize;
  const ESYS_TR auth = (pub->nvPublic.attributes & TPMA_NV_AUTHREAD) != 0 ? nv : ESYS_TR_RH_OWNER;
  if (size == 0 || size > kMaxEkCertificate) {
    Esys_TR_Close(esys_, &nv);
    return std::unexpected(
        Error{"agent.tpm.ek_certificate_invalid", fmt::format("EK certificate index holds {} bytes", size)});
  }
  Bytes cert;
  for (uint16_t offset = 0; offset < size;) {
    const auto chunk = static_cast<uint16_t>(std::min<int>(kNvChunk, size - offset));
    EsysPtr<TPM2B_MAX_NV_BUFFER> data;
    if (auto rc = Esys_NV_Read(esys_, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, chunk, offset, &data);
        rc != TSS2_RC_SUCCESS) {
      Esys_TR_Close(esys_, &nv);
      return std::unexpected(tpm_error("TPM2_NV_Read (EK certificate)", rc));
    }
    cert.insert(cert.end(), data->buffer, data->buffer + data->size);
    offset = static_cast<uint16_t>(offset + chunk);
  }
  Esys_TR_Close(esys_, &nv);
  return std::optional<Bytes>(std::move(cert));
}

std::expected<ESYS_TR, Error> Tpm::ek_authorization() {
  // H-3 sets userWithAuth and its authValue is empty (TCG EK Credential Profile 2.x, Annex B).
  if (ek_template_ == EkTemplate::ecc_p384) return ESYS_TR_PASSWORD;
  ESYS_TR session = ESYS_TR_NONE;
  const TPMT_SYM_DEF symmetric{TPM2_ALG_NULL, {}, {}};
  if (auto rc = Esys_StartAuthSession(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                      nullptr, TPM2_SE_POLICY, &symmetric, TPM2_ALG_SHA256, &session);
      rc != TSS2_RC_SUCCESS) {
    return std::unexpected(tpm_error("TPM2_StartAuthSession", rc));
  }
  EsysPtr<TPM2B_TIMEOUT> timeout;
  EsysPtr<TPMT_TK_AUTH> ticket;
  // The EK's authPolicy is PolicySecret(TPM_RH_ENDORSEMENT) with an empty endorsement auth.
  if (auto rc = Esys_PolicySecret(esys_, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                  nullptr, nullptr, nullptr, 0, &timeout, &ticket);
      rc != TSS2_RC_SUCCESS) {
    flush(session);
    return std::unexpected(tpm_error("TPM2_PolicySecret (endorsement)", rc));
  }
  return session;
}

std::expected<AkInfo, Error> Tpm::attestation_key(const std::filesystem::path& state_dir, KeyAlg alg) {
  if (ek_ == ESYS_TR_NONE) return std::unexpected(Error{"agent.tpm.no_ek", "the EK is not loaded"});
  flush(ak_);
  const auto pub_path = state_dir / "ak.pub", priv_path = state_dir / "ak.priv";
  AkInfo info;
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
  if (std::filesystem::exists(pub_path) || std::filesystem::exists(priv_path)) {
    auto pub_bytes = read_file(pub_path);
    if (!pub_bytes) return std::unexpected(pub_bytes.error());
    auto priv_bytes = read_file(priv_path);
    if (!priv_bytes) return std::unexpected(priv_bytes.error());
    auto p = unmarshal<TPM2B_PUBLIC>(*pub_bytes, Tss2_MU_TPM2B_PUBLIC_Unmarshal);
    auto s = unmarshal<TPM2B_PRIVATE>(*priv_bytes, Tss2_MU_TPM2B_PRIVATE_Unmarshal);
    if (!p || !s) return std::unexpected(Error{"agent.ak.load_failed", "ak.pub / ak.priv are not TPM2B structures"});
    pub = *p;
    priv = *s;
  } else {
    auto session = ek_authorization();
    if (!session) return std::unexpected(session.error());
    const TPM2B_SENSITIVE_CREATE sensitive{};
    const TPM2B_PUBLIC in_public = ak_template(alg);
    const TPM2B_DATA outside{};
    const TPML_PCR_SELECTION creation_pcr{};
    EsysPtr<TPM2B_PRIVATE> out_private;
    EsysPtr<TPM2B_PUBLIC> out_public;
    EsysPtr<TPM2B_CREATION_DATA> creation_data;
    EsysPtr<TPM2B_DIGEST> creation_hash;
    EsysPtr<TPMT_TK_CREATION> creation_ticket;
    const auto rc =
        Esys_Create(esys_, ek_, *session, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &in_public, &outside, &creation_pcr,
                    &out_private, &out_public, &creation_data, &creation_hash, &creation_ticket);
    end_ek_authorization(*session);
    if (rc != TSS2_RC_SUCCESS) return std::unexpected(tpm_error("TPM2_Create (AK)", rc));
    pub = *out_public.p;
    priv = *out_private.p;
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (auto w = write_private_file(priv_path, marshal(priv, Tss2_MU_TPM2B_PRIVATE_Marshal)); !w) {
      return std::unexpected(w.error());
    }
    if (auto w = write_private_file(pub_path, marshal(pub, Tss2_MU_TPM2B_PUBLIC_Marshal)); !w) {
      return std::unexpected(w.error());
    }
    info.created = true;
  }
  auto session = ek_authorization();
  if (!session) return std::unexpected(session.error());
  const auto rc = Esys_Load(esys_, ek_, *session, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &ak_);
  end_ek_authorization(*session);
  if (rc != TSS2_RC_SUCCESS) {
    ak_ = ESYS_TR_NONE;
    auto e = tpm_error("TPM2_Load (AK)", rc);
    if (e.id == "agent.tpm.command_failed") {
      e.id = "agent.ak.load_failed";
      e.message += fmt::format("; {} does not belong to this TPM's EK: remove ak.pub/ak.priv and enroll again",
                               state_dir.string());
    }
    return std::unexpected(e);
  }
  EsysPtr<TPM2B_NAME> name;
  if (auto r = Esys_TR_GetName(esys_, ak_, &name); r != TSS2_RC_SUCCESS) {
    return std::unexpected(tpm_error("AK name", r));
  }
  info.public_area = marshal(pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  info.name.assign(name->name, name->name + name->size);
  return info;
}

std::expected<Bytes, Error> Tpm::activate_credential(const Bytes& credential_blob, const Bytes& encrypted_secret) {
  if (ek_ == ESYS_TR_NONE || ak_ == ESYS_TR_NONE) {
    return std::unexpected(Error{"agent.tpm.no_ak", "the EK and AK are not loaded"});
  }
  auto blob = unmarshal<TPM2B_ID_OBJECT>(credential_blob, Tss2_MU_TPM2B_ID_OBJECT_Unmarshal);
  auto secret = unmarshal<TPM2B_ENCRYPTED_SECRET>(encrypted_secret, Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal);
  if (!blob || !secret) {
    return std::unexpected(Error{"agent.enroll.credential_malformed",
                                 "the service's credential is not a TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET"});
  }
  auto session = ek_authorization();
  if (!session) return std::unexpected(session.error());
  EsysPtr<TPM2B_DIGEST> cert_info;
  const auto rc =
      Esys_ActivateCredential(esys_, ak_, ek_, ESYS_TR_PASSWORD, *session, ESYS_TR_NONE, &*blob, &*secret, &cert_info);
  end_ek_authorization(*session);
  if (rc != TSS2_RC_SUCCESS) {
    auto e = tpm_error("TPM2_ActivateCredential", rc);
    if (e.id == "agent.tpm.command_failed") e.id = "agent.tpm.activate_failed";
    return std::unexpected(e);
  }
  return Bytes(cert_info->buffer, cert_info->buffer + cert_info->size);
}

std::expected<std::vector<std::string>, Error> Tpm::allocated_banks() {
  EsysPtr<TPMS_CAPABILITY_DATA> cap;
  TPMI_YES_NO more = 0;
  if (auto rc = Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &cap);
      rc != TSS2_RC_SUCCESS) {
    return std::unexpected(tpm_error("TPM2_GetCapability (PCRS)", rc));
  }
  std::vector<std::string> banks;
  const auto& sel = cap->data.assignedPCR;
  for (uint32_t i = 0; i < sel.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    const auto& s = sel.pcrSelections[i];
    const bool any = std::any_of(s.pcrSelect, s.pcrSelect + std::min<uint8_t>(s.sizeofSelect, TPM2_PCR_SELECT_MAX),
                                 [](uint8_t b) { return b != 0; });
    if (auto name = bank_name(s.hash); any && name) banks.push_back(*name);
  }
  if (banks.empty()) return std::unexpected(Error{"agent.tpm.no_pcr_banks", "the TPM has no PCR bank attestd knows"});
  return banks;
}

std::expected<Tpm::PcrValues, Error> Tpm::read_pcrs(const std::vector<std::string>& banks,
                                                    const std::vector<unsigned>& pcrs) {
  PcrValues out;
  // PCR_Read answers at most 8 digests per call (Part 3, 22.4): read one PCR at a time.
  for (const auto& bank : banks) {
    for (const unsigned p : pcrs) {
      TPML_PCR_SELECTION one{};
      one.count = 1;
      one.pcrSelections[0].hash = *bank_alg(bank);
      one.pcrSelections[0].sizeofSelect = 3;
      one.pcrSelections[0].pcrSelect[p / 8] = static_cast<uint8_t>(1u << (p % 8));
      UINT32 counter = 0;
      EsysPtr<TPML_PCR_SELECTION> sel_out;
      EsysPtr<TPML_DIGEST> values;
      if (auto rc = Esys_PCR_Read(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &one, &counter, &sel_out, &values);
          rc != TSS2_RC_SUCCESS) {
        return std::unexpected(tpm_error("TPM2_PCR_Read", rc));
      }
      if (values->count != 1)
        return std::unexpected(Error{"agent.tpm.command_failed", "TPM2_PCR_Read returned no value"});
      out[bank][p] = Bytes(values->digests[0].buffer, values->digests[0].buffer + values->digests[0].size);
    }
  }
  return out;
}

std::expected<QuoteResult, Error> Tpm::quote(const Bytes& binding, const std::vector<unsigned>& pcrs) {
  if (ak_ == ESYS_TR_NONE) return std::unexpected(Error{"agent.tpm.no_ak", "the AK is not loaded"});
  auto banks = allocated_banks();
  if (!banks) return std::unexpected(banks.error());
  TPML_PCR_SELECTION selection{};
  for (const auto& b : *banks) {
    auto& s = selection.pcrSelections[selection.count++];
    s.hash = *bank_alg(b);
    s.sizeofSelect = 3;
    for (const unsigned p : pcrs) s.pcrSelect[p / 8] = static_cast<uint8_t>(s.pcrSelect[p / 8] | 1u << (p % 8));
  }
  if (binding.size() > sizeof(TPM2B_DATA::buffer)) {
    return std::unexpected(Error{"agent.tpm.binding_too_long", "qualifyingData is at most 64 bytes"});
  }
  TPM2B_DATA qualifying{};
  qualifying.size = static_cast<uint16_t>(binding.size());
  std::copy(binding.begin(), binding.end(), qualifying.buffer);
  const TPMT_SIG_SCHEME scheme{TPM2_ALG_NULL, {}};  // the AK's own scheme
  // The values are read apart from the quote; a PCR extended in between (IMA's PCR 10 moves all
  // the time) would make them disagree with the quoted digest. Read before and after, and quote
  // again when they differ.
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto before = read_pcrs(*banks, pcrs);
    if (!before) return std::unexpected(before.error());
    EsysPtr<TPM2B_ATTEST> quoted;
    EsysPtr<TPMT_SIGNATURE> signature;
    if (auto rc = Esys_Quote(esys_, ak_, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme, &selection,
                             &quoted, &signature);
        rc != TSS2_RC_SUCCESS) {
      return std::unexpected(tpm_error("TPM2_Quote", rc));
    }
    auto after = read_pcrs(*banks, pcrs);
    if (!after) return std::unexpected(after.error());
    if (*before != *after) continue;
    QuoteResult out;
    out.pcrs = std::move(*after);
    out.attest.assign(quoted->attestationData, quoted->attestationData + quoted->size);
    out.signature = marshal(*signature.p, Tss2_MU_TPMT_SIGNATURE_Marshal);
    return out;
  }
  return std::unexpected(Error{"agent.tpm.pcrs_unstable", "the PCRs kept changing while quoting"});
}

}  // namespace attestd::agent
