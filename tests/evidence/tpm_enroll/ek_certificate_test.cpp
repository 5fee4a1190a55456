// EK certificates: real swtpm, STMicro, Google vTPM certificates to their real CAs (shared testdata),
// the NV 0xFF padding, CA bundles as published, and synthetic certificates for the profile checks.
#include "attestd/evidence/tpm/ek_certificate.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>

#include "attestd/evidence/tpm/enroll_reasons.h"
#include "attestd/evidence/tpm/credential.h"
#include "enroll_test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace enroll_testing;
using std::chrono::sys_days;
using std::chrono::sys_seconds;
using namespace std::chrono_literals;

sys_seconds date(int y, unsigned m, unsigned d) {
  return sys_seconds{sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}};
}

std::vector<std::string_view> ids(const EkCertificateValidation& v) {
  std::vector<std::string_view> out;
  for (const Error& e : v.reasons) out.push_back(e.id);
  return out;
}
bool has(const EkCertificateValidation& v, std::string_view id) {
  return std::ranges::any_of(v.reasons, [&](const Error& e) { return e.id == id; });
}
std::string describe(const EkCertificateValidation& v) {
  std::string out;
  for (const Error& e : v.reasons) out += std::string(e.id) + ": " + e.message + "\n";
  return out;
}

x509::Certificate cert_file(const std::string& rel) {
  auto c = parse_ek_certificate(read_bytes(shared(rel)));
  if (!c) throw std::runtime_error(rel + ": " + c.error().message);
  return std::move(*c);
}
std::vector<x509::Certificate> bundle(const std::string& rel) {
  auto b = parse_ek_ca_bundle(read_text(shared(rel)));
  if (!b) throw std::runtime_error(rel + ": " + b.error().message);
  return std::move(*b);
}
std::vector<x509::Certificate> certs(std::initializer_list<const char*> rels) {
  std::vector<x509::Certificate> out;
  for (const char* r : rels) out.push_back(cert_file(r));
  return out;
}

// ---- swtpm (vmboot): the EK certificates swtpm_setup's local CA issued --------------------------

const char* const kVmboot[] = {"vmboot/nosb-direct", "vmboot/nosb-direct-cmdline2", "vmboot/sb-shim-grub"};

TEST(EkCertificate, VmbootCertificatesChainToTheSwtpmLocalCa) {
  for (const std::string dir : kVmboot) {
    const auto roots = certs({"vmboot/nosb-direct/ca/swtpm-localca-rootca-cert.pem"});
    const auto inter = certs({"vmboot/nosb-direct/ca/issuercert.pem"});
    for (const std::string kind : {"rsa", "ecc"}) {
      const x509::Certificate cert = cert_file(dir + "/ek_" + kind + "_cert.der");
      const auto v = validate_ek_certificate(cert, roots, inter, date(2027, 1, 1));
      EXPECT_TRUE(v.valid) << dir << " " << kind << "\n" << describe(v);
      EXPECT_EQ(v.claims.manufacturer, "id:00001014");
      EXPECT_EQ(v.claims.manufacturer_id, 0x00001014u);
      EXPECT_EQ(v.claims.model, "swtpm");
      EXPECT_EQ(v.claims.version, "id:20191023");
      EXPECT_EQ(v.claims.version_id, 0x20191023u);
      EXPECT_TRUE(v.claims.ek_eku);
      EXPECT_EQ(v.claims.issuer, "CN=swtpm-localca");

      // The EK public area of the same TPM is the certified key.
      const auto ek = parse_ek_public(read_bytes(shared(dir + (kind == "rsa" ? "/ek.pub" : "/ek_ecc.pub"))));
      ASSERT_TRUE(ek.has_value());
      EXPECT_TRUE(check_ek_certificate_key(ek->key(), cert).has_value()) << dir << " " << kind;
    }
  }
}

TEST(EkCertificate, PemAndDerFormsAreTheSameCertificate) {
  const auto der = cert_file("vmboot/nosb-direct/ek_rsa_cert.der");
  const auto pem = cert_file("vmboot/nosb-direct/ek_rsa_cert.pem");
  EXPECT_TRUE(der == pem);
}

TEST(EkCertificate, WithoutTheIntermediateIsUntrusted) {
  const auto v = validate_ek_certificate(cert_file("vmboot/nosb-direct/ek_rsa_cert.der"),
                                         certs({"vmboot/nosb-direct/ca/swtpm-localca-rootca-cert.pem"}), {},
                                         date(2027, 1, 1));
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertUntrusted}) << describe(v);
}

TEST(EkCertificate, ATenantMayPinTheIntermediate) {
  const auto v = validate_ek_certificate(cert_file("vmboot/nosb-direct/ek_ecc_cert.der"),
                                         certs({"vmboot/nosb-direct/ca/issuercert.pem"}), {}, date(2027, 1, 1));
  EXPECT_TRUE(v.valid) << describe(v);
}

TEST(EkCertificate, AnotherManufacturersRootIsRefusedAsUntrusted) {
  // The swtpm chain presented in full, but the tenant trusts GlobalSign's TPM root only.
  const auto v = validate_ek_certificate(
      cert_file("vmboot/nosb-direct/ek_rsa_cert.der"), certs({"keylime/tpm_cert_store/GS_TPM_RT.pem"}),
      certs({"vmboot/nosb-direct/ca/issuercert.pem", "vmboot/nosb-direct/ca/swtpm-localca-rootca-cert.pem"}),
      date(2027, 1, 1));
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertUntrusted}) << describe(v);
  // The claims are still decoded, for the audit record.
  EXPECT_EQ(v.claims.model, "swtpm");
}

TEST(EkCertificate, BeforeNotBeforeIsNotYetValid) {
  const auto v = validate_ek_certificate(cert_file("vmboot/nosb-direct/ek_rsa_cert.der"),
                                         certs({"vmboot/nosb-direct/ca/swtpm-localca-rootca-cert.pem"}),
                                         certs({"vmboot/nosb-direct/ca/issuercert.pem"}), date(2026, 1, 1));
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertNotYetValid}) << describe(v);
}

TEST(EkCertificate, NoTrustAnchorAndTimesOutsideX509AreRefused) {
  const auto cert = cert_file("vmboot/nosb-direct/ek_rsa_cert.der");
  EXPECT_EQ(ids(validate_ek_certificate(cert, {}, {}, date(2027, 1, 1))),
            std::vector<std::string_view>{kEkCertNoTrustAnchor});
  const auto roots = certs({"vmboot/nosb-direct/ca/issuercert.pem"});
  EXPECT_EQ(ids(validate_ek_certificate(cert, roots, {}, date(1949, 12, 31))),
            std::vector<std::string_view>{kEkCertTimeOutOfRange});
  EXPECT_EQ(ids(validate_ek_certificate(cert, roots, {}, date(9999, 12, 31) + 24h)),
            std::vector<std::string_view>{kEkCertTimeOutOfRange});
}

TEST(EkCertificateKey, AnotherKeyIsAMismatch) {
  const auto rsa_cert = cert_file("vmboot/nosb-direct/ek_rsa_cert.der");
  const auto ecc_ek = parse_ek_public(read_bytes(shared("vmboot/nosb-direct/ek_ecc.pub")));
  const auto other_rsa_ek = parse_ek_public(read_bytes(shared("vmboot/nosb-direct-cmdline2/ek.pub")));
  ASSERT_TRUE(ecc_ek && other_rsa_ek);
  for (const EkPublic* ek : {&*ecc_ek, &*other_rsa_ek}) {
    const auto r = check_ek_certificate_key(ek->key(), rsa_cert);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().id, kEkKeyMismatch);
  }
}

// ---- STMicroelectronics: the RSA EK certificate as read from NV, with 0xFF padding -------------

constexpr const char* kStRsaPadded = "keylime/test/extracted/st_rsa_ek_cert_with_padding.der";

TEST(EkCertificate, StMicroRsaWithNvPaddingParses) {
  const Bytes raw = read_bytes(shared(kStRsaPadded));
  ASSERT_EQ(raw.size(), 1600u);
  // A strict DER parser refuses it: that is why the padding is stripped here.
  EXPECT_FALSE(x509::parse_certificate_der(raw).has_value());
  const auto cert = parse_ek_certificate(raw);
  ASSERT_TRUE(cert.has_value()) << cert.error().message;
  EXPECT_EQ(cert->der().size(), 1169u);
  EXPECT_TRUE(std::equal(cert->der().begin(), cert->der().end(), raw.begin()));
}

TEST(EkCertificate, StMicroRsaChainsToGlobalSignWithTheKeylimeStore) {
  const auto v = validate_ek_certificate(
      cert_file(kStRsaPadded), certs({"keylime/tpm_cert_store/GS_TPM_RT.pem"}),
      certs({"keylime/tpm_cert_store/STM_RSA_05I.pem", "keylime/tpm_cert_store/STM_RSA_RT.pem"}), date(2025, 1, 1));
  EXPECT_TRUE(v.valid) << describe(v);
  EXPECT_EQ(v.claims.manufacturer_id, 0x53544D20u);  // "STM "
  EXPECT_EQ(v.claims.model, "ST33HTPHAHB4");
  EXPECT_EQ(v.claims.version_id, 0x00490004u);
  EXPECT_TRUE(v.claims.ek_eku);
}

TEST(EkCertificate, StMicroRsaAndEccChainWithThePublishedBundles) {
  // tpm-ca-certificates: roots and intermediates as published, comments and all.
  const auto roots = bundle("tpm-ca-certificates/MIRROR.tpm-ca-certificates.pem");
  const auto inter = bundle("tpm-ca-certificates/MIRROR.tpm-intermediate-ca-certificates.pem");
  for (const char* f : {kStRsaPadded, "keylime/test/extracted/st_ecc_ek_cert.der"}) {
    const auto v = validate_ek_certificate(cert_file(f), roots, inter, date(2025, 1, 1));
    EXPECT_TRUE(v.valid) << f << "\n" << describe(v);
    EXPECT_EQ(v.claims.manufacturer, "id:53544D20") << f;
  }
}

TEST(EkCertificate, StMicroRsaExpiresIn2028) {
  const auto v = validate_ek_certificate(
      cert_file(kStRsaPadded), certs({"keylime/tpm_cert_store/GS_TPM_RT.pem"}),
      certs({"keylime/tpm_cert_store/STM_RSA_05I.pem", "keylime/tpm_cert_store/STM_RSA_RT.pem"}), date(2029, 1, 1));
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertExpired}) << describe(v);
}

TEST(EkCertificate, StMicroRsaUnderGooglesRootIsUntrusted) {
  const auto v = validate_ek_certificate(cert_file(kStRsaPadded), certs({"go-tpm-tools/server/ca-certs/tpm_ek_root_1.cer"}),
                                         {}, date(2025, 1, 1));
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertUntrusted}) << describe(v);
}

TEST(ParseEkCertificate, OnlyFfMayFollowTheCertificate) {
  const Bytes raw = read_bytes(shared(kStRsaPadded));
  Bytes zero_tail = raw;
  zero_tail.back() = 0x00;
  const Bytes truncated(raw.begin(), raw.begin() + 1000);
  Bytes not_sequence = raw;
  not_sequence[0] = 0x31;
  Bytes indefinite = raw;
  indefinite[1] = 0x80;
  const Bytes empty;
  const Bytes all_ff(64, 0xff);
  for (const Bytes* b : std::vector<const Bytes*>{&zero_tail, &truncated, &not_sequence, &indefinite, &empty, &all_ff}) {
    const auto r = parse_ek_certificate(*b);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().id, kEkCertMalformed);
  }
  const auto r = parse_ek_certificate(zero_tail);
  EXPECT_NE(r.error().message.find("offset 1599"), std::string::npos) << r.error().message;
}

// ---- Google vTPM, Infineon, Nuvoton --------------------------------------------------------------

TEST(EkCertificate, GoogleVtpmCertificatesChainToGooglesRoots) {
  const auto legacy_roots = certs({"go-tpm-tools/server/ca-certs/tpm_ek_root_1.cer"});
  const auto legacy_inter = certs({"go-tpm-tools/server/ca-certs/tpm_ek_intermediate_2.crt",
                                   "go-tpm-tools/server/ca-certs/tpm_ek_intermediate_3.crt"});
  for (const char* f : {"go-tpm-tools/internal/test/certificates/uca_tpm_rsa_enc_cert.pem",
                        "go-tpm-tools/internal/test/certificates/uca_tpm_ecc_enc_cert.pem"}) {
    const auto v = validate_ek_certificate(cert_file(f), legacy_roots, legacy_inter, date(2025, 1, 1));
    EXPECT_TRUE(v.valid) << f << "\n" << describe(v);
    EXPECT_EQ(v.claims.manufacturer_id, 0x474F4F47u);  // "GOOG"
    EXPECT_EQ(v.claims.model, "vTPM");
  }
  const auto roots = certs({"go-tpm-tools/server/ca-certs/gcp_ek_ak_ca_root.crt"});
  const auto inter = certs({"go-tpm-tools/server/ca-certs/gcp_ek_ak_ca_intermediate_v3.crt"});
  for (const char* f : {"go-tpm-tools/internal/test/certificates/pca_tpm_rsa_enc_cert.pem",
                        "go-tpm-tools/internal/test/certificates/pca_tpm_ecc_enc_cert.pem"}) {
    const auto v = validate_ek_certificate(cert_file(f), roots, inter, date(2025, 1, 1));
    EXPECT_TRUE(v.valid) << f << "\n" << describe(v);
  }
}

TEST(EkCertificate, ACaCertificateIsNoEkCertificate) {
  // keylime uses Infineon's intermediate CA as an "EK certificate" in a test; it must be refused.
  const auto v = validate_ek_certificate(cert_file("keylime/test/extracted/ifx_tpm_ek_intermediate_ca_01.pem"),
                                         certs({"keylime/tpm_cert_store/IFX_RSA_RT.pem"}), {}, date(2024, 1, 1));
  EXPECT_FALSE(v.valid);
  EXPECT_TRUE(has(v, kEkCertIsCa)) << describe(v);
}

TEST(EkCertificate, NonCanonicalNuvotonRootParses) {
  // Its multi-valued RDN SET is not DER-sorted; OpenSSL accepts it, so do we.
  const auto der = parse_ek_certificate(read_bytes(shared("keylime/test/extracted/nuvoton_root_ca_2110_noncanonical.der")));
  ASSERT_TRUE(der.has_value()) << der.error().message;
  const auto pem = parse_ek_ca_bundle(read_text(shared("keylime/tpm_cert_store/NUVO_2110.pem")));
  ASSERT_TRUE(pem.has_value()) << pem.error().message;
  ASSERT_EQ(pem->size(), 1u);
  EXPECT_TRUE(pem->front() == *der);
}

// ---- CA bundles ----------------------------------------------------------------------------------

TEST(EkCaBundle, ReadsThePublishedBundlesWithTheirComments) {
  EXPECT_EQ(bundle("tpm-ca-certificates/MIRROR.tpm-ca-certificates.pem").size(), 26u);
  EXPECT_EQ(bundle("tpm-ca-certificates/MIRROR.tpm-intermediate-ca-certificates.pem").size(), 143u);
}

TEST(EkCaBundle, ReadsKeylimesStoreConcatenatedWithoutNewlines) {
  std::string all;
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(shared("keylime/tpm_cert_store"))) {
    // Most of these files lack a final newline: "-----END CERTIFICATE----------BEGIN ...".
    all += read_text(e.path());
    ++files;
  }
  ASSERT_NE(all.find("-----END CERTIFICATE----------BEGIN CERTIFICATE-----"), std::string::npos);
  const auto b = parse_ek_ca_bundle(all);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->size(), files);  // one certificate per file
}

TEST(EkCaBundle, RefusesBundlesWithoutCertificatesOrWithBrokenBlocks) {
  const std::string good = read_text(shared("keylime/tpm_cert_store/GS_TPM_RT.pem"));
  const std::string no_end = good.substr(0, good.find("-----END"));
  std::string bad_base64 = good;
  bad_base64[100] = '*';
  for (const std::string& s : {std::string("# only a comment\n"), std::string(), no_end, bad_base64}) {
    const auto r = parse_ek_ca_bundle(s);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().id, kEkCertMalformed);
  }
}

// ---- synthetic certificates for the profile checks -----------------------------------------------

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error(std::string("extension ") + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// subjectAltName: one directoryName with the given TPM attributes (OID, value), critical.
void add_tpm_san(X509* cert, const std::vector<std::pair<const char*, const char*>>& attrs) {
  X509_NAME* name = X509_NAME_new();
  for (const auto& [oid, value] : attrs) {
    X509_NAME_add_entry_by_txt(name, oid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value), -1, -1, 0);
  }
  GENERAL_NAME* gn = GENERAL_NAME_new();
  GENERAL_NAME_set0_value(gn, GEN_DIRNAME, name);
  GENERAL_NAMES* gens = sk_GENERAL_NAME_new_null();
  sk_GENERAL_NAME_push(gens, gn);
  X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 1, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(gens);
}

X509Ptr make_cert(EVP_PKEY* subject_key, EVP_PKEY* issuer_key, X509* issuer, const char* cn,
                  const std::function<void(X509*, X509*)>& extensions) {
  X509Ptr c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), 7);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(c.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer != nullptr ? X509_get_subject_name(issuer) : X509_get_subject_name(c.get()));
  ASN1_TIME_set(X509_getm_notBefore(c.get()), static_cast<time_t>(date(2024, 1, 1).time_since_epoch().count()));
  ASN1_TIME_set(X509_getm_notAfter(c.get()), static_cast<time_t>(date(2034, 1, 1).time_since_epoch().count()));
  X509_set_pubkey(c.get(), subject_key);
  extensions(c.get(), issuer != nullptr ? issuer : c.get());
  X509_sign(c.get(), issuer_key, EVP_sha256());
  return c;
}

x509::Certificate to_cert(X509* c) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(c, &der);
  auto cert = x509::parse_certificate_der(std::span<const uint8_t>(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  if (!cert) throw std::runtime_error(cert.error().message);
  return std::move(*cert);
}

class SyntheticEkCertificate : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = make_cert(ca_key_.get(), ca_key_.get(), nullptr, "Test TPM Root CA", [](X509* c, X509* i) {
      add_ext(c, i, NID_basic_constraints, "critical,CA:TRUE");
      add_ext(c, i, NID_key_usage, "critical,keyCertSign,cRLSign");
    });
    roots_.push_back(to_cert(ca_.get()));
  }
  EkCertificateValidation validate(const std::function<void(X509*, X509*)>& extensions) {
    X509Ptr leaf = make_cert(ek_key_.get(), ca_key_.get(), ca_.get(), "ek", extensions);
    return validate_ek_certificate(to_cert(leaf.get()), roots_, {}, date(2025, 1, 1));
  }
  Pkey ca_key_ = ec_key("P-256");
  Pkey ek_key_ = ec_key("P-256");
  X509Ptr ca_;
  std::vector<x509::Certificate> roots_;
};

TEST_F(SyntheticEkCertificate, TheProfileAsTcgWritesItIsValid) {
  const auto v = validate([](X509* c, X509* i) {
    add_ext(c, i, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c, i, NID_key_usage, "critical,keyAgreement");
    add_ext(c, i, NID_ext_key_usage, "2.23.133.8.1");
    add_tpm_san(c, {{"2.23.133.2.1", "id:494E5443"}, {"2.23.133.2.2", "model x"}, {"2.23.133.2.3", "id:00020000"}});
  });
  EXPECT_TRUE(v.valid) << describe(v);
  EXPECT_EQ(v.claims.manufacturer_id, 0x494E5443u);  // "INTC"
  EXPECT_EQ(v.claims.model, "model x");
  EXPECT_EQ(v.claims.version_id, 0x00020000u);
}

TEST_F(SyntheticEkCertificate, NoEkuAndNoSanAreAllowed) {
  const auto v = validate([](X509*, X509*) {});
  EXPECT_TRUE(v.valid) << describe(v);
  EXPECT_FALSE(v.claims.ek_eku);
  EXPECT_FALSE(v.claims.manufacturer.has_value());
}

TEST_F(SyntheticEkCertificate, AnotherEkuIsRefused) {
  const auto v = validate([](X509* c, X509* i) { add_ext(c, i, NID_ext_key_usage, "serverAuth,clientAuth"); });
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertWrongEku}) << describe(v);
}

TEST_F(SyntheticEkCertificate, ACaLeafIsRefused) {
  const auto v = validate([](X509* c, X509* i) { add_ext(c, i, NID_basic_constraints, "critical,CA:TRUE"); });
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertIsCa}) << describe(v);
}

TEST_F(SyntheticEkCertificate, ARepeatedTpmAttributeIsMalformed) {
  const auto v = validate([](X509* c, X509*) {
    add_tpm_san(c, {{"2.23.133.2.1", "id:494E5443"}, {"2.23.133.2.1", "id:53544D20"}});
  });
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertMalformed}) << describe(v);
}

TEST_F(SyntheticEkCertificate, ANonIdManufacturerIsKeptButNotDecoded) {
  const auto v = validate([](X509* c, X509*) { add_tpm_san(c, {{"2.23.133.2.1", "Acme"}}); });
  EXPECT_TRUE(v.valid) << describe(v);
  EXPECT_EQ(v.claims.manufacturer, "Acme");
  EXPECT_FALSE(v.claims.manufacturer_id.has_value());
}

TEST_F(SyntheticEkCertificate, ASignatureByAnotherKeyIsRefused) {
  Pkey other = ec_key("P-256");
  X509Ptr leaf = make_cert(ek_key_.get(), other.get(), ca_.get(), "ek", [](X509*, X509*) {});
  const auto v = validate_ek_certificate(to_cert(leaf.get()), roots_, {}, date(2025, 1, 1));
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kEkCertSignatureInvalid}) << describe(v);
}

}  // namespace
}  // namespace attestd::evidence::tpm
