#pragma once

// Owning pointers for every OpenSSL object cbkit frees, so no path leaks one: each alias
// is a std::unique_ptr whose deleter calls the matching *_free.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

namespace cbkit::util {

template <class T, void (*Free)(T*)> struct OpensslDeleter {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)> using OpensslPtr = std::unique_ptr<T, OpensslDeleter<T, Free>>;

namespace openssl_detail {
inline void free_x509_stack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
inline void free_x509_refs(STACK_OF(X509) * s) { sk_X509_free(s); }
inline void free_string(char* s) { OPENSSL_free(s); }
inline void free_bytes(unsigned char* p) { OPENSSL_free(p); }
} // namespace openssl_detail

using PkeyPtr = OpensslPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = OpensslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = OpensslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using CipherPtr = OpensslPtr<EVP_CIPHER, EVP_CIPHER_free>;
using CipherCtxPtr = OpensslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using KdfPtr = OpensslPtr<EVP_KDF, EVP_KDF_free>;
using KdfCtxPtr = OpensslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using BioPtr = OpensslPtr<BIO, BIO_free_all>;
using BnPtr = OpensslPtr<BIGNUM, BN_free>;
using Asn1IntegerPtr = OpensslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using X509Ptr = OpensslPtr<X509, X509_free>;
using X509AlgorPtr = OpensslPtr<X509_ALGOR, X509_ALGOR_free>;
using X509StorePtr = OpensslPtr<X509_STORE, X509_STORE_free>;
// A stack that owns its certificates (each is freed with it).
using X509StackPtr = OpensslPtr<STACK_OF(X509), openssl_detail::free_x509_stack>;
// A stack that only borrows its certificates (e.g. PKCS7_get0_signers).
using X509RefsPtr = OpensslPtr<STACK_OF(X509), openssl_detail::free_x509_refs>;
using Pkcs7Ptr = OpensslPtr<PKCS7, PKCS7_free>;
using TsReqPtr = OpensslPtr<TS_REQ, TS_REQ_free>;
using TsRespPtr = OpensslPtr<TS_RESP, TS_RESP_free>;
using TsTstInfoPtr = OpensslPtr<TS_TST_INFO, TS_TST_INFO_free>;
using TsMsgImprintPtr = OpensslPtr<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>;
using TsVerifyCtxPtr = OpensslPtr<TS_VERIFY_CTX, TS_VERIFY_CTX_free>;
// Text and DER buffers OpenSSL allocates for the caller (BN_bn2hex, i2d_*, PEM_read_bio).
using OpensslStringPtr = OpensslPtr<char, openssl_detail::free_string>;
using OpensslBytesPtr = OpensslPtr<unsigned char, openssl_detail::free_bytes>;

// Everything written to a memory BIO so far.
inline std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 && data != nullptr ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

} // namespace cbkit::util
