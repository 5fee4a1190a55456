// TCG DICE TcbInfo / Ueid and NVIDIA's Hopper FWID extension, decoded with the DER reader.
#include "attestd/evidence/x509/dice.h"

#include <fmt/format.h>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/x509/reasons.h"
#include "der.h"

namespace attestd::evidence::x509 {

namespace {

std::unexpected<Error> fwid_error(std::string message) {
  return std::unexpected(Error{kCertFwidMalformed, std::move(message)});
}

std::vector<uint8_t> copy(const ByteReader& r) {
  const auto bytes = r.rest();
  return {bytes.begin(), bytes.end()};
}

// FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING } (DICE 6.1.1); the digest
// length must be the algorithm's.
std::expected<Fwid, Error> read_fwid(ByteReader& r) {
  ByteReader seq;
  ByteReader oid;
  ByteReader digest;
  if (!der::read_expected(r, der::kTagSequence, seq)) return fwid_error("FWID is not a SEQUENCE");
  if (!der::read_expected(seq, der::kTagOid, oid)) return fwid_error("FWID hashAlg is not an OID");
  if (!der::read_expected(seq, der::kTagOctetString, digest)) return fwid_error("FWID digest is not an OCTET STRING");
  if (!seq.empty()) return fwid_error(fmt::format("{} bytes after the FWID digest", seq.remaining()));
  const auto alg = der::hash_alg_from_oid(oid.rest());
  if (!alg) return fwid_error("FWID hashAlg is not SHA-256/384/512");
  if (digest.remaining() != digest_size(*alg)) {
    return fwid_error(fmt::format("FWID digest of {} bytes for {}", digest.remaining(), hash_alg_name(*alg)));
  }
  return Fwid{*alg, copy(digest)};
}

}  // namespace

std::expected<TcbInfo, Error> parse_tcb_info(std::span<const uint8_t> bytes) {
  ByteReader outer(bytes);
  ByteReader seq;
  if (!der::read_expected(outer, der::kTagSequence, seq)) return fwid_error("DiceTcbInfo is not a SEQUENCE");
  if (!outer.empty()) return fwid_error(fmt::format("{} bytes after DiceTcbInfo", outer.remaining()));

  TcbInfo info;
  int last_number = -1;
  while (!seq.empty()) {
    der::Tlv tlv;
    if (!der::read_tlv(seq, tlv)) return fwid_error("DiceTcbInfo field is not DER");
    if ((tlv.tag & der::kClassMask) != der::kClassContext) {
      return fwid_error(fmt::format("DiceTcbInfo field with non-context tag 0x{:02x}", tlv.tag));
    }
    const int number = tlv.tag & der::kTagNumberMask;
    // X.690 8.9.2: SEQUENCE components are encoded in definition order, each at most once.
    if (number <= last_number) return fwid_error(fmt::format("DiceTcbInfo field [{}] out of order", number));
    last_number = number;
    const bool constructed = (tlv.tag & der::kConstructed) != 0;
    // [6] fwids is the only constructed field (IMPLICIT SEQUENCE OF); the rest are primitive.
    if (constructed != (number == 6) && number <= 10) {
      return fwid_error(fmt::format("DiceTcbInfo field [{}] has the wrong form", number));
    }
    const auto text = [&] {
      const auto b = tlv.content.rest();
      return std::string(b.begin(), b.end());
    };
    uint64_t value = 0;
    switch (number) {
      case 0: info.vendor = text(); break;
      case 1: info.model = text(); break;
      case 2: info.version = text(); break;
      case 3:
      case 4:
      case 5:
        if (!der::read_small_uint(tlv.content, value)) {
          return fwid_error(fmt::format("DiceTcbInfo [{}] is not a small non-negative INTEGER", number));
        }
        (number == 3 ? info.svn : number == 4 ? info.layer : info.index) = value;
        break;
      case 6: {
        ByteReader list = tlv.content;
        std::vector<Fwid> fwids;
        while (!list.empty()) {
          auto fwid = read_fwid(list);
          if (!fwid) return std::unexpected(fwid.error());
          fwids.push_back(std::move(*fwid));
        }
        // FWIDLIST ::= SEQUENCE SIZE (1..MAX) OF FWID
        if (fwids.empty()) return fwid_error("DiceTcbInfo fwids is empty");
        info.fwids = std::move(fwids);
        break;
      }
      case 7: info.flags = copy(tlv.content); break;
      case 8: info.vendor_info = copy(tlv.content); break;
      case 9: info.type = copy(tlv.content); break;
      case 10: info.flags_mask = copy(tlv.content); break;
      default:
        // Later revisions may add fields: extensibility of the SEQUENCE, ignored.
        break;
    }
  }
  return info;
}

std::expected<Fwid, Error> parse_nvidia_hopper_fwid(std::span<const uint8_t> bytes) {
  ByteReader outer(bytes);
  ByteReader seq;
  ByteReader version;
  ByteReader spki;
  if (!der::read_expected(outer, der::kTagSequence, seq)) return fwid_error("Hopper FWID extension is not a SEQUENCE");
  if (!outer.empty()) return fwid_error(fmt::format("{} bytes after the Hopper FWID extension", outer.remaining()));
  uint64_t v = 0;
  if (!der::read_expected(seq, der::kTagInteger, version) || !der::read_small_uint(version, v)) {
    return fwid_error("Hopper FWID extension: first element is not an INTEGER");
  }
  if (!der::read_expected(seq, der::kTagSequence, spki)) {
    return fwid_error("Hopper FWID extension: second element is not a SubjectPublicKeyInfo");
  }
  auto fwid = read_fwid(seq);
  if (!fwid) return std::unexpected(fwid.error());
  if (!seq.empty()) return fwid_error(fmt::format("{} bytes after the Hopper FWID", seq.remaining()));
  return fwid;
}

std::expected<LeafFwid, Error> extract_fwid(const Certificate& leaf) {
  auto blackwell = leaf.extension(kOidNvidiaTcbInfo);
  if (!blackwell) return std::unexpected(blackwell.error());
  if (*blackwell) {
    auto info = parse_tcb_info(**blackwell);
    if (!info) return std::unexpected(info.error());
    if (info->fwids.empty()) return fwid_error("DiceTcbInfo (2.23.133.5.4.1.1) has no fwids");
    return LeafFwid{std::move(info->fwids.front()), FwidSource::nvidia_tcb_info};
  }
  auto tcb = leaf.extension(kOidDiceTcbInfo);
  if (!tcb) return std::unexpected(tcb.error());
  if (!*tcb) {
    return std::unexpected(Error{kCertFwidMissing, fmt::format("'{}' carries neither {} nor {}", leaf.subject(),
                                                               kOidNvidiaTcbInfo, kOidDiceTcbInfo)});
  }
  // A DiceTcbInfo starts with a context-tagged field; NVIDIA's Hopper layout with an INTEGER.
  ByteReader probe(**tcb);
  ByteReader seq;
  der::Tlv first;
  if (der::read_expected(probe, der::kTagSequence, seq) && der::read_tlv(seq, first) &&
      (first.tag & der::kClassMask) == der::kClassContext) {
    auto info = parse_tcb_info(**tcb);
    if (!info) return std::unexpected(info.error());
    if (info->fwids.empty()) return fwid_error("DiceTcbInfo (2.23.133.5.4.1) has no fwids");
    return LeafFwid{std::move(info->fwids.front()), FwidSource::dice_tcb_info};
  }
  auto fwid = parse_nvidia_hopper_fwid(**tcb);
  if (!fwid) return std::unexpected(fwid.error());
  return LeafFwid{std::move(*fwid), FwidSource::nvidia_hopper};
}

std::expected<std::optional<std::vector<uint8_t>>, Error> extract_ueid(const Certificate& cert) {
  auto ext = cert.extension(kOidDiceUeid);
  if (!ext) return std::unexpected(ext.error());
  if (!*ext) return std::optional<std::vector<uint8_t>>{};
  // TcgUeid ::= SEQUENCE { ueid OCTET STRING } (DICE 6.1.2)
  ByteReader outer(**ext);
  ByteReader seq;
  ByteReader ueid;
  if (!der::read_expected(outer, der::kTagSequence, seq) || !outer.empty() ||
      !der::read_expected(seq, der::kTagOctetString, ueid) || !seq.empty()) {
    return std::unexpected(Error{kCertUeidMalformed, "TcgUeid is not SEQUENCE { OCTET STRING }"});
  }
  return std::optional<std::vector<uint8_t>>(copy(ueid));
}

}  // namespace attestd::evidence::x509
