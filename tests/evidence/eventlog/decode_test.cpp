// decode_event_data and its helpers, on the real vmboot logs and on crafted data.
#include <gtest/gtest.h>

#include <variant>

#include "attestd/evidence/eventlog/device_path.h"
#include "attestd/evidence/eventlog/event_data.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/guid.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "attestd/evidence/eventlog/signature_list.h"
#include "test_support.h"

namespace attestd::evidence::eventlog {
namespace {

using testing::as_bytes;
using testing::Bytes;

struct VmbootLog {
  std::vector<uint8_t> bytes;
  EventLog log;
};

VmbootLog load_vmboot(const std::string& boot) {
  VmbootLog v;
  v.bytes = testing::read_file(testing::shared_testdata() / "vmboot" / boot / "eventlog.bin");
  auto log = parse_event_log(v.bytes);
  EXPECT_TRUE(log.has_value());
  if (log) v.log = std::move(*log);
  return v;
}

template <typename T>
T decode_as(const Event& ev) {
  auto data = decode_event_data(ev);
  EXPECT_TRUE(data.has_value()) << (data ? "" : data.error().message);
  if (!data || !std::holds_alternative<T>(*data)) {
    ADD_FAILURE() << "event " << ev.index << " did not decode to the expected alternative";
    return T{};
  }
  return std::get<T>(*data);
}

const EfiVariable* find_variable(const std::vector<EfiVariable>& vars, std::string_view name) {
  for (const auto& v : vars) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::vector<EfiVariable> driver_config_variables(const EventLog& log) {
  std::vector<EfiVariable> out;
  for (const Event& ev : log.events) {
    if (ev.type == EV_EFI_VARIABLE_DRIVER_CONFIG) out.push_back(decode_as<EfiVariable>(ev));
  }
  return out;
}

TEST(DecodeVmboot, SecureBootShimGrubHasSecureBootOneAndSignatureDatabases) {
  // The spans borrow from v.bytes, which lives until the end of the test.
  const auto v = load_vmboot("sb-shim-grub");
  const auto vars = driver_config_variables(v.log);
  const auto* sb = find_variable(vars, "SecureBoot");
  ASSERT_NE(sb, nullptr);
  EXPECT_EQ(sb->guid, guids::efi_global_variable());
  ASSERT_EQ(sb->data.size(), 1u);
  EXPECT_EQ(sb->data[0], 1);

  const auto* db = find_variable(vars, "db");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->guid, guids::image_security_database());
  const auto db_sigs = decode_signature_lists(db->data);
  ASSERT_TRUE(db_sigs.has_value()) << db_sigs.error().message;
  ASSERT_FALSE(db_sigs->empty());
  for (const auto& s : *db_sigs) {
    EXPECT_EQ(s.type, guids::cert_x509());
    ASSERT_GT(s.data.size(), 2u);
    EXPECT_EQ(s.data[0], 0x30);  // a DER SEQUENCE
  }
  const auto* dbx = find_variable(vars, "dbx");
  ASSERT_NE(dbx, nullptr);
  const auto dbx_sigs = decode_signature_lists(dbx->data);
  ASSERT_TRUE(dbx_sigs.has_value()) << dbx_sigs.error().message;
  ASSERT_EQ(dbx_sigs->size(), 1u);
  EXPECT_EQ((*dbx_sigs)[0].type, guids::cert_sha256());
  EXPECT_EQ((*dbx_sigs)[0].data.size(), 32u);
  for (const char* name : {"PK", "KEK"}) {
    const auto* var = find_variable(vars, name);
    ASSERT_NE(var, nullptr) << name;
    const auto sigs = decode_signature_lists(var->data);
    ASSERT_TRUE(sigs.has_value()) << name;
    EXPECT_FALSE(sigs->empty()) << name;
  }
}

TEST(DecodeVmboot, NoSecureBootLogHasSecureBootZeroAndEmptyDatabases) {
  const auto v = load_vmboot("nosb-direct");
  const auto vars = driver_config_variables(v.log);
  const auto* sb = find_variable(vars, "SecureBoot");
  ASSERT_NE(sb, nullptr);
  ASSERT_EQ(sb->data.size(), 1u);
  EXPECT_EQ(sb->data[0], 0);
  const auto* db = find_variable(vars, "db");
  ASSERT_NE(db, nullptr);
  const auto sigs = decode_signature_lists(db->data);
  ASSERT_TRUE(sigs.has_value());
  EXPECT_TRUE(sigs->empty());
}

TEST(DecodeVmboot, BootApplicationsHaveDevicePathTextAndGrubCommandLineIsText) {
  const auto v = load_vmboot("sb-shim-grub");
  const auto shim = decode_as<ImageLoad>(v.log.events[24]);
  EXPECT_EQ(shim.location, 0x3cdef018u);
  EXPECT_EQ(shim.length, 1048504u);
  EXPECT_TRUE(shim.padding.empty());
  EXPECT_TRUE(shim.device_path.starts_with("PciRoot(0x0)/Pci(")) << shim.device_path;
  EXPECT_NE(shim.device_path.find("/HD(1,GPT,"), std::string::npos) << shim.device_path;
  EXPECT_TRUE(shim.device_path.ends_with("\\EFI\\BOOT\\BOOTX64.EFI")) << shim.device_path;
  const auto grub = decode_as<ImageLoad>(v.log.events[30]);
  EXPECT_FALSE(grub.device_path.empty());
  // The kernel grub loads has no device path.
  EXPECT_TRUE(decode_as<ImageLoad>(v.log.events[42]).device_path.empty());

  const auto cmdline = decode_as<Text>(v.log.events[44]);
  EXPECT_EQ(cmdline.text, "kernel_cmdline: /vmlinuz console=ttyS0 attest.boot=sb-shim-grub");
  EXPECT_FALSE(cmdline.utf16);
  EXPECT_EQ(decode_as<Text>(v.log.events[47]).text, "Exit Boot Services Invocation");
  EXPECT_EQ(decode_as<Separator>(v.log.events[9]).value, 0u);
  const auto blob = decode_as<FirmwareBlob>(v.log.events[2]);
  EXPECT_EQ(blob.base, 0x820000u);
  EXPECT_EQ(blob.length, 0xe0000u);
  const auto version = decode_as<Text>(v.log.events[1]);  // "0000": an empty UTF-16 string
  EXPECT_EQ(version.text, "");
  EXPECT_EQ(decode_as<NoAction>(v.log.events[0]).kind, NoAction::Kind::spec_id);
}

TEST(DecodeVmboot, GptEventListsThePartitions) {
  const auto v = load_vmboot("sb-shim-grub");
  const auto gpt = decode_as<GptEvent>(v.log.events[23]);
  EXPECT_EQ(gpt.header_size, 92u);
  EXPECT_EQ(gpt.my_lba, 1u);
  EXPECT_EQ(gpt.size_of_partition_entry, 128u);
  ASSERT_FALSE(gpt.partitions.empty());
  // The ESP: EFI System Partition type GUID.
  EXPECT_EQ(gpt.partitions[0].type.to_string(), "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  EXPECT_LT(gpt.partitions[0].first_lba, gpt.partitions[0].last_lba);
}

TEST(DecodeVmboot, EfiStubTagsNameTheLoadOptionsAndInitrd) {
  const auto v = load_vmboot("nosb-direct");
  const auto tag = decode_as<EventTag>(v.log.events[21]);
  EXPECT_EQ(tag.id, 0x8F3B22EDu);
  EXPECT_EQ(std::string(tag.data.begin(), tag.data.end()), std::string("LOADED_IMAGE::LoadOptions\0", 26));
  EXPECT_EQ(decode_as<EventTag>(v.log.events[22]).id, 0x8F3B22ECu);
}

TEST(DecodeEvent, UnknownTypeIsRawDataNeverAnError) {
  Event ev;
  ev.type = 0x8401;
  const std::vector<uint8_t> junk = {1, 2, 3};
  ev.data = junk;
  const auto data = decode_event_data(ev);
  ASSERT_TRUE(data.has_value());
  ASSERT_TRUE(std::holds_alternative<RawData>(*data));
  EXPECT_EQ(std::get<RawData>(*data).data.size(), 3u);
}

std::string_view decode_error(uint32_t type, const std::vector<uint8_t>& bytes) {
  Event ev;
  ev.type = type;
  ev.data = bytes;
  const auto data = decode_event_data(ev);
  EXPECT_FALSE(data.has_value());
  return data ? "decoded" : data.error().id;
}

TEST(DecodeEvent, VariableWhoseLengthsDoNotAddUpIsInvalid) {
  Bytes b;
  b.fill(16, 0).u64(2).u64(5).utf16("db").fill(4, 0);  // 5 data bytes announced, 4 present
  EXPECT_EQ(decode_error(EV_EFI_VARIABLE_DRIVER_CONFIG, b.bytes()), kEventDataInvalid);
  Bytes huge;
  huge.fill(16, 0).u64(UINT64_MAX).u64(0);
  EXPECT_EQ(decode_error(EV_EFI_VARIABLE_BOOT, huge.bytes()), kEventDataInvalid);
  Bytes extra;
  extra.fill(16, 0).u64(2).u64(1).utf16("db").u8(1).u8(0);  // one byte too many
  EXPECT_EQ(decode_error(EV_EFI_VARIABLE_DRIVER_CONFIG, extra.bytes()), kEventDataInvalid);
}

TEST(DecodeEvent, AuthorityKeepsShimsStrayBytesAsPadding) {
  Bytes b;
  b.fill(16, 0).u64(4).u64(1).utf16("Shim").u8(0x30).raw(std::vector<uint8_t>{0, 0, 0, 0, 0, 0xaf});
  Event ev;
  ev.type = EV_EFI_VARIABLE_AUTHORITY;
  ev.data = b.bytes();
  const auto var = decode_as<EfiVariable>(ev);
  EXPECT_EQ(var.name, "Shim");
  EXPECT_EQ(var.data.size(), 1u);
  EXPECT_EQ(var.padding.size(), 6u);
}

TEST(DecodeEvent, VariableNameWithAnUnpairedSurrogateIsInvalid) {
  Bytes b;
  b.fill(16, 0).u64(1).u64(0).u16(0xD800);
  EXPECT_EQ(decode_error(EV_EFI_VARIABLE_DRIVER_CONFIG, b.bytes()), kEventDataInvalid);
}

TEST(DecodeEvent, SeparatorOfOtherThanFourBytesIsInvalid) {
  EXPECT_EQ(decode_error(EV_SEPARATOR, {0, 0, 0}), kEventDataInvalid);
}

TEST(DecodeEvent, StartupLocalityGivesTheLocalityAndMustBe17Bytes) {
  Bytes b;
  b.str(std::string_view("StartupLocality\0", 16)).u8(3);
  Event ev;
  ev.type = EV_NO_ACTION;
  ev.data = b.bytes();
  const auto na = decode_as<NoAction>(ev);
  EXPECT_EQ(na.kind, NoAction::Kind::startup_locality);
  EXPECT_EQ(na.locality, 3);
  b.u8(0);
  EXPECT_EQ(decode_error(EV_NO_ACTION, b.bytes()), kEventDataInvalid);
}

TEST(DecodeEvent, TagWhoseSizeDisagreesIsInvalid) {
  Bytes b;
  b.u32(1).u32(4).fill(3, 0);
  EXPECT_EQ(decode_error(EV_EVENT_TAG, b.bytes()), kEventDataInvalid);
}

TEST(DecodeEvent, Blob2CarriesItsDescription) {
  Bytes b;
  b.u8(4).str("DXE!").u64(0x1000).u64(0x2000);
  Event ev;
  ev.type = EV_EFI_PLATFORM_FIRMWARE_BLOB2;
  ev.data = b.bytes();
  const auto blob = decode_as<FirmwareBlob>(ev);
  EXPECT_EQ(blob.description, "DXE!");
  EXPECT_EQ(blob.length, 0x2000u);
  b.u8(0);
  EXPECT_EQ(decode_error(EV_EFI_PLATFORM_FIRMWARE_BLOB2, b.bytes()), kEventDataInvalid);
}

TEST(DecodeEvent, ImageLoadWithAPathLongerThanTheDataIsInvalid) {
  Bytes b;
  b.u64(1).u64(2).u64(3).u64(100).fill(4, 0);
  EXPECT_EQ(decode_error(EV_EFI_BOOT_SERVICES_APPLICATION, b.bytes()), kEventDataInvalid);
}

TEST(DecodeEvent, GptWithAPartitionCountThatOverflowsIsInvalid) {
  Bytes b;
  b.str("EFI PART").u32(0x10000).u32(92).u32(0).u32(0).u64(1).u64(2).u64(3).u64(4).fill(16, 0).u64(2).u32(128)
      .u32(128).u32(0).u64(UINT64_MAX / 64);
  EXPECT_EQ(decode_error(EV_EFI_GPT_EVENT, b.bytes()), kEventDataInvalid);
}

TEST(DecodeEvent, EfiActionThatIsNotTextIsInvalid) {
  EXPECT_EQ(decode_error(EV_EFI_ACTION, {0x01, 0xff, 0x02}), kEventDataInvalid);
}

TEST(DecodeEvent, Utf16CrtmVersionDecodesAsText) {
  Bytes b;
  b.utf16("GCE Virtual Firmware v1").u16(0);
  Event ev;
  ev.type = EV_S_CRTM_VERSION;
  ev.data = b.bytes();
  const auto text = decode_as<Text>(ev);
  EXPECT_EQ(text.text, "GCE Virtual Firmware v1");
  EXPECT_TRUE(text.utf16);
}

TEST(Guid, PrintsMixedEndianFieldsInCanonicalForm) {
  const std::vector<uint8_t> stored = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                       0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
  Guid g;
  std::copy(stored.begin(), stored.end(), g.bytes.begin());
  EXPECT_EQ(g.to_string(), "8be4df61-93ca-11d2-aa0d-00e098032b8c");
  EXPECT_EQ(Guid::from_string("8BE4DF61-93CA-11D2-AA0D-00E098032B8C"), g);
  EXPECT_FALSE(Guid::from_string("8be4df61-93ca-11d2-aa0d-00e098032b8").has_value());
  EXPECT_FALSE(Guid::from_string("8be4df61x93ca-11d2-aa0d-00e098032b8c").has_value());
}

TEST(DevicePath, SpellsCommonNodesAndUnknownOnesAsPath) {
  Bytes b;
  b.u8(2).u8(1).u16(12).u32(0x0A0341D0).u32(0);        // PciRoot(0x0)
  b.u8(1).u8(1).u16(6).u8(0).u8(0x1f);                  // Pci(0x1f,0x0)
  b.u8(3).u8(0x12).u16(10).u16(0).u16(0xFFFF).u16(0);   // Sata(0x0,0xffff,0x0)
  b.u8(0x99).u8(7).u16(6).u8(0xab).u8(0xcd);            // unknown
  b.u8(4).u8(4).u16(static_cast<uint16_t>(4 + 2 * 7)).utf16("\\a.efi").u16(0);
  b.u8(0x7F).u8(0xFF).u16(4);
  const auto text = device_path_to_text(b.bytes());
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text, "PciRoot(0x0)/Pci(0x1f,0x0)/Sata(0x0,0xffff,0x0)/Path(153,7,abcd)/\\a.efi");
}

TEST(DevicePath, RejectsShortNodesOverrunsBadBodiesAndBytesAfterTheEnd) {
  EXPECT_FALSE(device_path_to_text(std::vector<uint8_t>{1, 1, 3, 0}).has_value());        // Length < 4
  EXPECT_FALSE(device_path_to_text(std::vector<uint8_t>{1, 1, 9, 0, 0, 0}).has_value());  // past the end
  EXPECT_FALSE(device_path_to_text(std::vector<uint8_t>{1, 1, 5, 0, 0}).has_value());     // PCI needs 2
  EXPECT_FALSE(device_path_to_text(std::vector<uint8_t>{0x7F, 0xFF, 4, 0, 1}).has_value());
  EXPECT_FALSE(device_path_to_text(std::vector<uint8_t>{1, 1}).has_value());
  const auto empty = device_path_to_text({});
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
}

TEST(SignatureLists, DecodeEntriesAndRejectInconsistentSizes) {
  Bytes list;
  const auto sha256 = guids::cert_sha256();
  list.raw(sha256.bytes).u32(28 + 2 * 48).u32(0).u32(48);
  list.fill(16, 0x11).fill(32, 0xaa).fill(16, 0x22).fill(32, 0xbb);
  const auto sigs = decode_signature_lists(list.bytes());
  ASSERT_TRUE(sigs.has_value()) << sigs.error().message;
  ASSERT_EQ(sigs->size(), 2u);
  EXPECT_EQ((*sigs)[1].owner.bytes[0], 0x22);
  EXPECT_EQ((*sigs)[1].data[0], 0xbb);

  Bytes bad_size;  // SignatureSize 47 does not divide 96
  bad_size.raw(sha256.bytes).u32(28 + 96).u32(0).u32(47).fill(96, 0);
  EXPECT_EQ(decode_signature_lists(bad_size.bytes()).error().id, kEventDataInvalid);
  Bytes overrun;  // SignatureListSize past the end
  overrun.raw(sha256.bytes).u32(28 + 48).u32(0).u32(48).fill(47, 0);
  EXPECT_EQ(decode_signature_lists(overrun.bytes()).error().id, kEventDataInvalid);
  Bytes small;  // SignatureSize below the owner GUID
  small.raw(sha256.bytes).u32(28).u32(0).u32(0);
  EXPECT_EQ(decode_signature_lists(small.bytes()).error().id, kEventDataInvalid);
  Bytes header;  // SignatureHeaderSize beyond the list
  header.raw(sha256.bytes).u32(28 + 4).u32(8).u32(16).fill(4, 0);
  EXPECT_EQ(decode_signature_lists(header.bytes()).error().id, kEventDataInvalid);
  EXPECT_TRUE(decode_signature_lists({})->empty());
}

}  // namespace
}  // namespace attestd::evidence::eventlog
