#include "blurkit/core/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include "blurkit/core/error.h"

namespace blurkit {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

MdCtx NewSha256() {
  MdCtx ctx(EVP_MD_CTX_new());
  BLURKIT_CHECK(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1);
  return ctx;
}

std::string Finish(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  BLURKIT_CHECK(EVP_DigestFinal_ex(ctx, digest, &length) == 1);
  static const char* kHex = "0123456789abcdef";
  std::string hex(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace

std::string Sha256OfFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(Msg() << path.string() << ": cannot open the file to compute its sha256");
  MdCtx ctx = NewSha256();
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      BLURKIT_CHECK(EVP_DigestUpdate(ctx.get(), buffer.data(), got) == 1);
    }
  }
  if (in.bad()) throw IoError(Msg() << path.string() << ": read error while computing its sha256");
  return Finish(ctx.get());
}

std::string Sha256OfBytes(const void* data, size_t size) {
  MdCtx ctx = NewSha256();
  BLURKIT_CHECK(EVP_DigestUpdate(ctx.get(), data, size) == 1);
  return Finish(ctx.get());
}

}  // namespace blurkit
