#include "elf_check.hpp"

#include <elf.h>

#include <array>
#include <cstring>
#include <fstream>

namespace berth::host {
namespace {

std::string machine_name(unsigned machine) {
    switch (machine) {
        case EM_386:
            return "i386";
        case EM_X86_64:
            return "x86-64";
        case EM_ARM:
            return "arm";
        case EM_AARCH64:
            return "aarch64";
        case EM_PPC64:
            return "ppc64";
        case EM_S390:
            return "s390x";
        case EM_RISCV:
            return "riscv";
        case EM_MIPS:
            return "mips";
        default:
            return "ELF machine " + std::to_string(machine);
    }
}

#if defined(__x86_64__)
constexpr unsigned k_host_machine = EM_X86_64;
#elif defined(__aarch64__)
constexpr unsigned k_host_machine = EM_AARCH64;
#elif defined(__i386__)
constexpr unsigned k_host_machine = EM_386;
#elif defined(__arm__)
constexpr unsigned k_host_machine = EM_ARM;
#elif defined(__powerpc64__)
constexpr unsigned k_host_machine = EM_PPC64;
#elif defined(__s390x__)
constexpr unsigned k_host_machine = EM_S390;
#elif defined(__riscv)
constexpr unsigned k_host_machine = EM_RISCV;
#else
#error "add this architecture's ELF machine to elf_check.cpp"
#endif

constexpr unsigned char k_host_class = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
constexpr unsigned char k_host_data =
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;

}  // namespace

std::string elf_mismatch(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot open file: " + std::string(std::strerror(errno));
    std::array<unsigned char, 20> head{};  // e_ident (16) + e_type (2) + e_machine (2)
    in.read(reinterpret_cast<char*>(head.data()), head.size());
    if (in.gcount() < static_cast<std::streamsize>(head.size()) ||
        std::memcmp(head.data(), ELFMAG, SELFMAG) != 0)
        return "not an ELF file";
    const unsigned char cls = head[EI_CLASS];
    const unsigned char data = head[EI_DATA];
    const auto u16 = [&](std::size_t off) -> unsigned {
        return data == ELFDATA2LSB ? head[off] | (head[off + 1] << 8U)
                                   : (head[off] << 8U) | head[off + 1];
    };
    const unsigned type = u16(16);
    const unsigned machine = u16(18);
    if (machine != k_host_machine || cls != k_host_class || data != k_host_data) {
        const char* bits = cls == ELFCLASS64 ? "64-bit " : cls == ELFCLASS32 ? "32-bit " : "";
        return "built for " + std::string(bits) + machine_name(machine) + ", but this host is " +
               (k_host_class == ELFCLASS64 ? "64-bit " : "32-bit ") + machine_name(k_host_machine);
    }
    if (type != ET_DYN)
        return "an ELF file but not a shared object (ELF type " + std::to_string(type) + ")";
    return {};
}

}  // namespace berth::host
