#include "cbkit/email/received.hpp"
#include "corpora.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

using namespace cbkit::email;

namespace {

bool has_problem(const std::vector<std::string>& problems, const std::string& part) {
  for (const auto& p : problems)
    if (p.find(part) != std::string::npos) return true;
  return false;
}

std::string property(const AuthMethod& m, const std::string& key) {
  for (const auto& [k, v] : m.properties)
    if (k == key) return v;
  return "<missing>";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Dates

TEST_CASE("mail dates in the RFC 5322 form are parsed to UTC", "[received]") {
  auto d = parse_mail_date("  Fri, 20 Nov 2026 21:14:00 +0100 ");
  CHECK(d.valid);
  CHECK(d.as_written == "Fri, 20 Nov 2026 21:14:00 +0100");
  CHECK(d.epoch_seconds == 1795205640);
  CHECK(d.offset_minutes == 60);
  CHECK_FALSE(d.zone_unknown);
  CHECK(d.problem.empty());
  CHECK(to_json(d).dump() ==
        R"({"as_written":"Fri, 20 Nov 2026 21:14:00 +0100","utc":"2026-11-20T20:14:00Z","offset":"+01:00","valid":true})");

  d = parse_mail_date("20 Nov 2026 21:14 -0530"); // no day name, no seconds
  CHECK(d.valid);
  CHECK(d.offset_minutes == -330);
  CHECK(d.epoch_seconds == 1795205640 + 6 * 3600 + 30 * 60); // 21:14-05:30 is 02:44Z the next day
  CHECK(to_json(d)["offset"] == "-05:30");

  d = parse_mail_date("Fri , 20 (a comment (nested)) Nov 2026 21:14:00 (CET) +0100 (Central European Time)");
  CHECK(d.valid);
  CHECK(d.epoch_seconds == 1795205640);

  d = parse_mail_date("Thu, 29 Feb 2024 23:59:60 +0000"); // leap year, leap second
  CHECK(d.valid);
  CHECK(d.problem.find("leap second") != std::string::npos);

  d = parse_mail_date("Tue, 10 May 2005 17:26:50 +0000 (GMT)"); // a real Postfix Received date
  CHECK(d.valid);
  CHECK(to_json(d)["utc"] == "2005-05-10T17:26:50Z");
}

TEST_CASE("obsolete date forms are accepted with a note", "[received]") {
  auto d = parse_mail_date("fri, 20 nov 26 16:14:00 EST");
  CHECK(d.valid);
  CHECK(d.epoch_seconds == 1795205640 + 3600); // 16:14 EST is 21:14 UTC
  CHECK(d.offset_minutes == -300);
  CHECK(d.problem.find("2-digit year") != std::string::npos);
  CHECK(d.problem.find("EST") != std::string::npos);

  d = parse_mail_date("20 Nov 99 21:14:00 GMT");
  CHECK(d.valid);
  CHECK(d.epoch_seconds == 943132440);

  d = parse_mail_date("1 Jan 126 00:00:00 UT"); // 3-digit year: + 1900
  CHECK(d.valid);
  CHECK(d.epoch_seconds == 1767225600);
  CHECK(d.problem.find("3-digit year") != std::string::npos);

  d = parse_mail_date("Thu, 03 Dec 2009 10:50:22 PST");
  CHECK(d.valid);
  CHECK(d.offset_minutes == -480);

  for (const auto& [zone, minutes] : std::vector<std::pair<std::string, int>>{
           {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420}, {"MDT", -360}, {"PDT", -420}, {"Z", 0}, {"gmt", 0}}) {
    d = parse_mail_date("1 Jan 2026 00:00:00 " + zone);
    CHECK(d.valid);
    CHECK(d.offset_minutes == minutes);
    CHECK_FALSE(d.zone_unknown);
  }

  d = parse_mail_date("30 Jun 2005 03:57:11 -0000"); // qmail: offset unknown
  CHECK(d.valid);
  CHECK(d.zone_unknown);
  CHECK(d.offset_minutes == 0);
  CHECK(to_json(d)["offset"] == "-00:00");

  d = parse_mail_date("1 Jan 2026 00:00:00 A"); // military zones are unreliable (RFC 5322 4.3)
  CHECK(d.valid);
  CHECK(d.zone_unknown);
  CHECK(d.epoch_seconds == 1767225600);
  CHECK(d.problem.find("military") != std::string::npos);

  d = parse_mail_date("Sun, 29 Nov 2015 09:45:17 CET"); // unknown name: UTC assumed
  CHECK(d.valid);
  CHECK(d.zone_unknown);
  CHECK(d.problem.find("unknown zone") != std::string::npos);

  d = parse_mail_date("Thu, 20 Nov 2026 21:14:00 +0100"); // 20 Nov 2026 is a Friday
  CHECK(d.valid);
  CHECK(d.problem.find("does not match") != std::string::npos);
}

TEST_CASE("invalid dates are reported, never thrown", "[received]") {
  for (const std::string bad : {"",
                                "   ",
                                "yesterday",
                                "20 13 2026 10:00:00 +0000",
                                "20 Foo 2026 10:00:00 +0000",
                                "30 Feb 2024 10:00:00 +0000",
                                "29 Feb 2023 10:00:00 +0000",
                                "31 Apr 2026 10:00:00 +0000",
                                "0 Apr 2026 10:00:00 +0000",
                                "1 Jan 2026 24:00:00 +0000",
                                "1 Jan 2026 10:60:00 +0000",
                                "1 Jan 2026 10:00:61 +0000",
                                "1 Jan 2026 10:00:00 +2500",
                                "1 Jan 2026 10:00:00 +0160",
                                "1 Jan 2026 10:00:00 +01",
                                "1 Jan 2026 10:00:00",
                                "1 Jan 1899 10:00:00 +0000",
                                "1 Jan 20261 10:00:00 +0000",
                                "1 Jan 2026 10:00:00 +0000 extra words here",
                                "Fri, 20 Nov 2026 21:14:00.123 +0100",
                                "Blursday, 1 Jan 2026 10:00:00 +0000",
                                "1 Jan 2026 10.00.00 +0000",
                                "\x01\x02\xff",
                                "(((((",
                                "1 Jan 2026 1000000000:00 +0000"}) {
    INFO(bad);
    const MailDate d = parse_mail_date(bad);
    CHECK_FALSE(d.valid);
    CHECK_FALSE(d.problem.empty());
    const auto j = to_json(d);
    CHECK(j["utc"].is_null());
    CHECK(j["offset"].is_null());
    CHECK(j["valid"] == false);
    CHECK(j.contains("problem"));
  }
  CHECK(parse_mail_date("30 Feb 2024 10:00:00 +0000").problem.find("does not exist") != std::string::npos);
  CHECK(parse_mail_date("1 Jan 2026 10:00:00 +2500").problem.find("out of range") != std::string::npos);

  // linear time on a long hostile value
  const std::string big = "Fri, 20 Nov 2026 21:14:00 +0100 " + std::string(1 << 20, '(');
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(parse_mail_date(big).valid);
  CHECK_FALSE(parse_mail_date(std::string(1 << 20, '1')).valid);
  CHECK(seconds_since(t0) < 5);
}

// ---------------------------------------------------------------------------------------------
// Received

TEST_CASE("Postfix Received lines", "[received]") {
  // mikel-mail corpus, attachment_pdf_non_ascii.eml
  Hop h = parse_received("from xxx.xxxxx.com (xxx.xxxxx.com [69.36.39.150]) by xxx.xxxxx.com (Postfix) with ESMTP id 8B957A94B for "
                         "<xxxx@xxxx.com>; Tue, 10 May 2005 17:26:48 +0000 (GMT)");
  CHECK(h.from == "xxx.xxxxx.com");
  CHECK(h.from_tcp_host == "xxx.xxxxx.com");
  CHECK(h.from_ip == "69.36.39.150");
  CHECK(h.by == "xxx.xxxxx.com");
  CHECK(h.with == "ESMTP");
  CHECK(h.id == "8B957A94B");
  CHECK(h.for_ == "xxxx@xxxx.com");
  CHECK(h.tls.empty());
  CHECK(h.date.valid);
  CHECK(h.problems.empty());

  // japanese_attachment_long_name.eml: TLS comment, authenticated submission, several comments
  h = parse_received("from [192.168.4.253] (60-241-138-146.static.tpgi.com.au [60.241.138.146]) (using TLSv1 with cipher AES128-SHA "
                     "(128/128 bits)) (No client certificate requested) (Authenticated sender: mikel) by mx1.test.lindsaar.net.au "
                     "(Postfix) with ESMTPSA id 5C0186DD4CD for <raasdnil@gmail.com>; Fri, 30 Oct 2009 19:11:08 +1100 (EST)");
  CHECK(h.from == "[192.168.4.253]"); // the HELO claim
  CHECK(h.from_tcp_host == "60-241-138-146.static.tpgi.com.au");
  CHECK(h.from_ip == "60.241.138.146");
  CHECK(h.by == "mx1.test.lindsaar.net.au");
  CHECK(h.with == "ESMTPSA");
  CHECK(h.tls == "ESMTPSA; using TLSv1 with cipher AES128-SHA (128/128 bits)");
  CHECK(h.date.valid);
  CHECK(h.date.offset_minutes == 660);

  // Postfix without reverse DNS
  h = parse_received("from localhost (unknown [92.47.238.91]) by smtp2.BBBBBBBBBBB.org (Postfix) with ESMTP id 44D0110011 for "
                     "<abcdefg@AAAAAAAAA.net>; Mon,  9 Jun 2008 12:24:02 -0700 (PDT)");
  CHECK(h.from == "localhost");
  CHECK(h.from_tcp_host.empty());
  CHECK(h.from_ip == "92.47.238.91");

  // Postfix with TLS 1.3 (Postfix 3.x)
  h = parse_received("from mail.example.org (mail.example.org [81.2.69.142]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
                     "bits) key-exchange X25519 server-signature RSA-PSS (2048 bits)) (No client certificate requested) by mx.example.net "
                     "(Postfix) with ESMTPS id 4Xk2Lq0bQvz9sWt for <victim@example.net>; Fri, 20 Nov 2026 21:14:00 +0100 (CET)");
  CHECK(h.from_ip == "81.2.69.142");
  CHECK(h.with == "ESMTPS");
  CHECK(h.tls.find("ESMTPS; using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384") == 0);
  CHECK(h.date.epoch_seconds == 1795205640);
}

TEST_CASE("Exim, Sendmail, qmail and Microsoft Received lines", "[received]") {
  // Exim, spamscope mail_test_4
  Hop h = parse_received("from host86-187-174-57.range86-187.btcentralplus.com ([86.187.174.57]:45321 helo=User) by "
                         "localhost.localdomain.com with esmtpa (Exim 4.87) (envelope-from <anabelgonzalo@fanox.com>) id "
                         "1bakrE-000291-LF; Fri, 19 Aug 2016 20:34:52 +0600");
  CHECK(h.from == "host86-187-174-57.range86-187.btcentralplus.com");
  CHECK(h.from_ip == "86.187.174.57");
  CHECK(h.from_tcp_host.empty());
  CHECK(h.with == "esmtpa");
  CHECK(h.id == "1bakrE-000291-LF");
  CHECK(h.date.valid);

  // Exim with TLS
  h = parse_received("from mail-ej1-f52.google.com ([209.85.218.52]) by smtp.example.org with esmtps  (TLS1.3) tls "
                     "TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <x@gmail.com>) id 1qABCD-0001Xy-2k for y@example.org; Tue, 01 Aug "
                     "2023 10:00:00 +0000");
  CHECK(h.from_ip == "209.85.218.52");
  CHECK(h.with == "esmtps");
  CHECK(h.tls == "esmtps; tls TLS_AES_256_GCM_SHA384; TLS1.3");
  CHECK(h.for_ == "y@example.org");

  // Sendmail, nested comment "(may be forged)", content_transfer_encoding_x_uuencode.eml
  h = parse_received("from tblexch01.transmission.bpa.gov (int.transmission.bpa.gov [206.137.58.133] (may be forged)) by mailman.enron.com "
                     "(8.11.4/8.11.4/corp-1.06) with ESMTP id g0AMCB920856; Thu, 10 Jan 2002 16:12:11 -0600 (CST)");
  CHECK(h.from_tcp_host == "int.transmission.bpa.gov");
  CHECK(h.from_ip == "206.137.58.133");
  CHECK(h.by == "mailman.enron.com");
  CHECK(h.id == "g0AMCB920856");
  CHECK(h.date.offset_minutes == -360);

  // Sendmail with IPv6 and a TLS comment
  h = parse_received("from mail.example.com (mail.example.com [IPv6:2a00:1450:4864:20::52b]) by mx.example.net (8.15.2/8.15.2) with "
                     "ESMTPS id 203AbCdE012345 (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for "
                     "<a@example.net>; Mon, 3 Jan 2022 10:00:00 +0100");
  CHECK(h.from_ip == "2a00:1450:4864:20::52b");
  CHECK(h.from_tcp_host == "mail.example.com");
  CHECK(h.tls == "ESMTPS; version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT");

  // Sendmail submission: "(from user@localhost)" is not TCP-info
  h = parse_received("(from production@localhost) by aquila.el-example.org (8.14.2/8.14.2/Submit) id o8M7Urh3018672; Wed, 22 Sep 2010 "
                     "02:30:53 -0500 (CDT) (envelope-from production)");
  CHECK(h.from.empty());
  CHECK(h.from_ip.empty());
  CHECK(h.by == "aquila.el-example.org");
  CHECK(h.date.valid);

  // qmail: "(HELO x) (ip)" - the HELO name is the sender's claim, the IP is what qmail saw
  h = parse_received("from unknown (HELO 209.5.178.248) (222.47.112.31) by churchill.factcomp.com with SMTP; 7 Nov 2004 21:30:57 -0000");
  CHECK(h.from == "unknown");
  CHECK(h.from_ip == "222.47.112.31");
  CHECK(h.date.zone_unknown);
  h = parse_received("(qmail 7622 invoked by uid 115); 7 Nov 2004 21:30:59 -0000");
  CHECK(h.from.empty());
  CHECK(h.by.empty());
  CHECK(h.problems.empty());
  CHECK(h.date.valid);
  h = parse_received("from unknown (HELO ljhw) (zyb@sgis.com.cn@[223.152.177.168]) (envelope-sender <zyb@sgis.com.cn>) by 0 (magicmail) "
                     "with SMTP for <webmaster@khaleejtimes.com>; 26 Dec 2016 05:32:02 -0000");
  CHECK(h.from_ip == "223.152.177.168");
  CHECK(h.from_tcp_host.empty());

  // Microsoft 365 (spamscope mail_test_1), IPv6 in bare parentheses
  h = parse_received(
      "from DM3NAM03FT035.eop-NAM03.prod.protection.outlook.com (2a01:111:f400:7e49::205) by "
      "CY4PR0601CA0051.outlook.office365.com (2603:10b6:910:89::28) with Microsoft SMTP Server (version=TLS1_2, "
      "cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384) id 15.20.1185.23 via Frontend Transport; Mon, 1 Oct 2018 09:49:21 +0000");
  CHECK(h.from == "DM3NAM03FT035.eop-NAM03.prod.protection.outlook.com");
  CHECK(h.from_ip == "2a01:111:f400:7e49::205");
  CHECK(h.by == "CY4PR0601CA0051.outlook.office365.com");
  CHECK(h.with == "Microsoft SMTP Server");
  CHECK(h.id == "15.20.1185.23");
  CHECK(h.via == "Frontend Transport");
  CHECK(h.tls == "version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384");
  CHECK(h.date.valid);

  // Exchange 2007 and Exchange 5.5 forms
  h = parse_received("from mx01.medieveven.no (192.168.42.42) by epost.vartland.no (192.168.73.7) with Microsoft SMTP Server id 8.1.393.1; "
                     "Fri, 30 Oct 2009 20:08:07 +0100");
  CHECK(h.from_ip == "192.168.42.42");
  CHECK(h.id == "8.1.393.1");
  h = parse_received("from corp.enron.com ([192.168.110.228]) by nahou-mscnx06p.corp.enron.com with Microsoft SMTPSVC(5.0.2195.2966); Tue, "
                     "13 Nov 2001 21:07:21 -0600");
  CHECK(h.from_ip == "192.168.110.228");
  CHECK(h.with == "Microsoft SMTPSVC");
}

TEST_CASE("Gmail Received lines", "[received]") {
  Hop h =
      parse_received("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])        by mx.google.com with SMTPS id "
                     "a640c23a62f3a-99bc5a0b7f3sor1283466b.3.2023.09.12.05.21.40        for <victim@gmail.com>        (Google Transport "
                     "Security);        Tue, 12 Sep 2023 05:21:40 -0700 (PDT)");
  CHECK(h.from == "mail-sor-f41.google.com");
  CHECK(h.from_tcp_host == "mail-sor-f41.google.com.");
  CHECK(h.from_ip == "209.85.220.41");
  CHECK(h.by == "mx.google.com");
  CHECK(h.with == "SMTPS");
  CHECK(h.id == "a640c23a62f3a-99bc5a0b7f3sor1283466b.3.2023.09.12.05.21.40");
  CHECK(h.for_ == "victim@gmail.com");
  CHECK(h.tls == "SMTPS; Google Transport Security");
  CHECK(h.date.valid);
  CHECK(h.date.offset_minutes == -420);

  // Gmail internal hop: no from clause
  h = parse_received("by 10.54.110.5 with HTTP; Tue, 10 May 2005 10:26:39 -0700 (PDT)");
  CHECK(h.from.empty());
  CHECK(h.by == "10.54.110.5");
  CHECK(h.with == "HTTP");
  CHECK(h.problems.empty());

  // old Gmail with an SSL comment
  h = parse_received("from ?10.0.1.6? (d36-211-30.home1.cgocable.net [24.36.211.30]) by mx.google.com with ESMTPS id "
                     "g14sm267889rvb.22.2009.05.13.08.42.03 (version=TLSv1/SSLv3 cipher=RC4-MD5); Wed, 13 May 2009 08:42:04 -0700 (PDT)");
  CHECK(h.from_ip == "24.36.211.30");
  CHECK(h.tls == "ESMTPS; version=TLSv1/SSLv3 cipher=RC4-MD5");
}

TEST_CASE("odd and broken Received lines", "[received]") {
  // TCP-info variants
  CHECK(parse_received("from x ([1.2.3.4]) by y; 1 Jan 2026 00:00:00 +0000").from_ip == "1.2.3.4");
  CHECK(parse_received("from x (1.2.3.4) by y; 1 Jan 2026 00:00:00 +0000").from_ip == "1.2.3.4");
  CHECK(parse_received("from x (host [IPv6:2001:db8::1]) by y; 1 Jan 2026 00:00:00 +0000").from_ip == "2001:db8::1");
  CHECK(parse_received("from x (HELO x) (host [5.6.7.8]) by y; 1 Jan 2026 00:00:00 +0000").from_ip == "5.6.7.8");
  CHECK(parse_received("from x (EHLO 1.2.3.4) by y; 1 Jan 2026 00:00:00 +0000").from_ip.empty());
  CHECK(parse_received("from x (murder [unix socket]) by y; 1 Jan 2026 00:00:00 +0000").from_ip.empty());
  CHECK(parse_received("from x (host [999.1.1.1]) by y; 1 Jan 2026 00:00:00 +0000").from_ip.empty());
  CHECK(parse_received("from [1.2.3.4] by y; 1 Jan 2026 00:00:00 +0000").from_ip.empty()); // a HELO claim only
  // the by clause's comment never gives from_ip
  CHECK(parse_received("from x by y ([1.2.3.4]); 1 Jan 2026 00:00:00 +0000").from_ip.empty());
  // case-insensitive keywords
  Hop h = parse_received(
      "FROM a.example (a.example [81.2.69.142]) BY b.example WITH esmtp ID abc FOR <u@b.example>; 1 Jan 2026 00:00:00 +0000");
  CHECK(h.from == "a.example");
  CHECK(h.by == "b.example");
  CHECK(h.id == "abc");
  CHECK(h.for_ == "u@b.example");

  // missing date
  h = parse_received("from a.example (a.example [81.2.69.142]) by b.example with ESMTP id 123");
  CHECK(h.from_ip == "81.2.69.142");
  CHECK_FALSE(h.date.valid);
  CHECK(has_problem(h.problems, "no date"));
  CHECK(to_json(h)["date"]["as_written"].is_null());
  h = parse_received("from a by b;");
  CHECK(has_problem(h.problems, "no date"));

  // bad date
  h = parse_received("from a by b; Fri, 30 Feb 2026 10:00:00 +0000");
  CHECK_FALSE(h.date.valid);
  CHECK(has_problem(h.problems, "unparsable date"));

  // unbalanced parenthesis (raw_email_string_in_date_field.eml)
  h = parse_received("from jsj1wlrmd001.webex.com (by jsj1wlrmd001.webex.com (8.12.10/8.12.11) with ESMTP id m8MKKPTs022429 for "
                     "<xxxx@example.com>; Mon, 22 Sep 2008 20:20:25 GMT");
  CHECK(has_problem(h.problems, "unbalanced"));
  CHECK(h.date.valid);
  CHECK(h.by == "jsj1wlrmd001.webex.com");

  // repeated clause
  h = parse_received("from localhost by e06smtp10.uk.ibm.com with IBM ESMTP SMTP Gateway: Authorized Use Only! Violators will be "
                     "prosecuted for <lina.vailati@dududu.it> from <nicoletta_bernasconi@it.ibm.com>; Wed, 8 Mar 2017 16:46:25 -0000");
  CHECK(h.from == "localhost");
  CHECK(has_problem(h.problems, "repeated 'from'"));

  // garbage
  for (const std::string g :
       {"", "   ", "garbage", ";;;", ")))(((", "(unclosed", "\x01\x02\xfe\xff", "from", "by ; ;", "((((((((((((((("}) {
    INFO(g);
    h = parse_received(g);
    CHECK_FALSE(h.problems.empty());
    CHECK_FALSE(h.date.valid);
    CHECK_NOTHROW(to_json(h).dump()); // invalid UTF-8 is replaced, so a plain dump() works
  }
  h = parse_received("garbage words; 1 Jan 2026 00:00:00 +0000");
  CHECK(has_problem(h.problems, "unparsable"));
  CHECK(has_problem(h.problems, "text before the first clause"));
}

TEST_CASE("Received parsing stays bounded on huge values", "[received]") {
  const std::size_t mb = 1 << 20;
  std::vector<std::string> inputs;
  inputs.push_back(std::string(mb, '('));
  inputs.push_back(std::string(mb, ')'));
  inputs.push_back(std::string(mb, ';'));
  inputs.push_back("from x (" + std::string(mb, '[') + ") by y; 1 Jan 2026 00:00:00 +0000");
  std::string words;
  while (words.size() < mb)
    words += "from by (c) with ";
  inputs.push_back(words + "; 1 Jan 2026 00:00:00 +0000");
  std::string comments = "from x ";
  while (comments.size() < mb)
    comments += "(version=TLS1_3 cipher=x) (HELO y) ";
  inputs.push_back(comments + "by z; 1 Jan 2026 00:00:00 +0000");
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& in : inputs) {
    const Hop h = parse_received(in);
    CHECK_NOTHROW(to_json(h).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    CHECK(h.tls.size() < 4096);
  }
  CHECK(seconds_since(t0) < 10);
}

TEST_CASE("to_json of a hop follows the documented keys", "[received]") {
  Hop h = parse_received("from a.example (a.example [81.2.69.142]) by b.example with ESMTPS id 7; Fri, 20 Nov 2026 21:14:00 +0100");
  h.header_index = 3;
  const auto j = to_json(h);
  CHECK(j.dump() ==
        R"({"header_index":3,"from":"a.example","from_tcp_host":"a.example","from_ip":"81.2.69.142","by":"b.example","via":null,)"
        R"("with":"ESMTPS","id":"7","for":null,"tls":"ESMTPS","date":{"as_written":"Fri, 20 Nov 2026 21:14:00 +0100",)"
        R"("utc":"2026-11-20T20:14:00Z","offset":"+01:00","valid":true},"delay_seconds":null,"problems":[]})");
}

TEST_CASE("received_chain runs oldest first with delays, negative ones included", "[received]") {
  const std::string msg =
      "Received: from b.example (b.example [81.2.69.143]) by c.example with ESMTP id 2;\r\n"
      "\tFri, 20 Nov 2026 21:10:00 +0100\r\n"
      "Received: from a.example (a.example [81.2.69.142]) by b.example with ESMTP id 1; Fri, 20 Nov 2026 21:14:00 +0100\r\n"
      "X-Other: x\r\n"
      "Received: garbage without date\r\n"
      "Received: from client (host [81.2.69.160]) by a.example with ESMTPSA id 0; Fri, 20 Nov 2026 20:14:30 +0000\r\n"
      "Subject: test\r\n"
      "\r\n"
      "body\r\n";
  const HeaderBlock b = split_headers(msg);
  const auto chain = received_chain(b);
  REQUIRE(chain.size() == 4);
  CHECK(chain[0].header_index == 4);
  CHECK(chain[0].id == "0");
  CHECK_FALSE(chain[0].delay_seconds);
  CHECK(chain[1].header_index == 3);
  CHECK_FALSE(chain[1].date.valid);
  CHECK_FALSE(chain[1].delay_seconds);
  CHECK(chain[2].header_index == 1);
  REQUIRE(chain[2].delay_seconds);
  CHECK(*chain[2].delay_seconds == -30); // 21:14+01:00 is 30 s before 20:14:30Z: time travel
  CHECK(chain[3].header_index == 0);
  REQUIRE(chain[3].delay_seconds);
  CHECK(*chain[3].delay_seconds == -240);
  CHECK(to_json(chain[3])["delay_seconds"] == -240);

  const auto ip = likely_originating_ip(b, chain);
  REQUIRE(ip);
  CHECK(ip->ip == "81.2.69.160");
  CHECK(ip->source == "Received");
  CHECK(ip->reason == "oldest Received hop with a public IP in its TCP-info");
}

TEST_CASE("likely_originating_ip prefers a public client-IP header, then the oldest public hop", "[received]") {
  auto hop_with = [](const std::string& ip) {
    Hop h;
    h.from_ip = ip;
    return h;
  };
  const std::vector<Hop> chain{hop_with("127.0.0.1"),   hop_with("10.1.2.3"),        hop_with("100.64.1.1"),
                               hop_with("169.254.3.4"), hop_with("fd00::1"),         hop_with("fe80::1"),
                               hop_with("2001:db8::1"), hop_with("192.0.2.1"),       hop_with("::1"),
                               hop_with("172.16.9.9"),  hop_with("192.168.1.1"),     hop_with("198.51.100.2"),
                               hop_with("203.0.113.5"), hop_with("::ffff:10.0.0.1"), hop_with("2a00:1450:4864:20::52b"),
                               hop_with("81.2.69.142")};

  HeaderBlock none = split_headers("Subject: x\r\n\r\n");
  auto ip = likely_originating_ip(none, chain);
  REQUIRE(ip);
  CHECK(ip->ip == "2a00:1450:4864:20::52b");
  CHECK(ip->source == "Received");

  HeaderBlock hdr = split_headers("X-Originating-IP: [81.2.69.160]\r\nSubject: x\r\n\r\n");
  ip = likely_originating_ip(hdr, chain);
  REQUIRE(ip);
  CHECK(ip->ip == "81.2.69.160");
  CHECK(ip->source == "X-Originating-IP");
  CHECK(ip->reason == "X-Originating-IP header");

  HeaderBlock xff = split_headers("x-forwarded-for: 81.2.69.161, 10.0.0.1\r\n\r\n");
  ip = likely_originating_ip(xff, {});
  REQUIRE(ip);
  CHECK(ip->ip == "81.2.69.161");
  CHECK(ip->source == "x-forwarded-for");

  HeaderBlock ms = split_headers("X-MS-Exchange-Organization-OriginalClientIPAddress: 2a01:111:f400:7e49::205\r\n\r\n");
  ip = likely_originating_ip(ms, {});
  REQUIRE(ip);
  CHECK(ip->ip == "2a01:111:f400:7e49::205");

  // a private client IP loses to a public hop, but is better than nothing
  HeaderBlock priv = split_headers("X-Originating-IP: [10.50.4.44]\r\n\r\n");
  ip = likely_originating_ip(priv, chain);
  REQUIRE(ip);
  CHECK(ip->ip == "2a00:1450:4864:20::52b");
  ip = likely_originating_ip(priv, {hop_with("127.0.0.1")});
  REQUIRE(ip);
  CHECK(ip->ip == "10.50.4.44");
  CHECK(ip->reason.find("not a public address") != std::string::npos);

  // nothing usable
  HeaderBlock junk = split_headers("X-Originating-IP: unknown\r\nX-Sender-IP: 999.9.9.9\r\n\r\n");
  CHECK_FALSE(likely_originating_ip(junk, {hop_with("127.0.0.1"), hop_with(""), hop_with("192.168.0.1")}));
}

// ---------------------------------------------------------------------------------------------
// Authentication-Results

TEST_CASE("Authentication-Results examples of RFC 8601 appendix B", "[received]") {
  auto a = parse_authentication_results("example.org 1; none"); // B.2
  CHECK(a.authserv_id == "example.org");
  CHECK(a.methods.empty());
  CHECK(a.problems.empty());

  a = parse_authentication_results("example.com; spf=pass smtp.mailfrom=example.net"); // B.3
  REQUIRE(a.methods.size() == 1);
  CHECK(a.methods[0].method == "spf");
  CHECK(a.methods[0].result == "pass");
  CHECK(property(a.methods[0], "smtp.mailfrom") == "example.net");
  CHECK(a.problems.empty());

  a = parse_authentication_results(
      "example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; spf=pass smtp.mailfrom=example.net"); // B.4
  REQUIRE(a.methods.size() == 2);
  CHECK(a.methods[0].method == "auth");
  CHECK(property(a.methods[0], "smtp.auth") == "sender@example.net");
  CHECK(a.methods[1].method == "spf");

  a = parse_authentication_results("example.com; iprev=pass policy.iprev=192.0.2.200");
  REQUIRE(a.methods.size() == 1);
  CHECK(property(a.methods[0], "policy.iprev") == "192.0.2.200");

  a = parse_authentication_results(
      "example.com; sender-id=fail header.from=example.com; dkim=pass (good signature) header.d=example.com"); // B.5
  REQUIRE(a.methods.size() == 2);
  CHECK(a.methods[0].method == "sender-id");
  CHECK(a.methods[0].result == "fail");
  CHECK(property(a.methods[1], "header.d") == "example.com");

  a = parse_authentication_results(
      "example.com;\r\n          dkim=pass reason=\"good signature\"\r\n            header.i=@mail-router.example.net;\r\n"
      "          dkim=fail reason=\"bad signature\"\r\n            header.i=@newyork.example.com"); // B.6
  REQUIRE(a.methods.size() == 2);
  CHECK(a.methods[0].reason == "good signature");
  CHECK(property(a.methods[0], "header.i") == "@mail-router.example.net");
  CHECK(a.methods[1].result == "fail");
  CHECK(a.methods[1].reason == "bad signature");

  a = parse_authentication_results("mail-router.example.net; dkim=pass (good signature) header.d=newyork.example.com header.b=oINEO8hg; "
                                   "dkim=fail (bad signature) header.d=mail-router.example.net header.b=EToRSuvU"); // B.7
  REQUIRE(a.methods.size() == 2);
  CHECK(property(a.methods[0], "header.b") == "oINEO8hg");
  CHECK(property(a.methods[1], "header.d") == "mail-router.example.net");

  a = parse_authentication_results("example.com; dkim/1=pass (comment) header.d=\"quoted \\\"value\\\"\" reason=token");
  REQUIRE(a.methods.size() == 1);
  CHECK(a.methods[0].method == "dkim");
  CHECK(property(a.methods[0], "header.d") == "quoted \"value\"");
  CHECK(a.methods[0].reason == "token");
}

TEST_CASE("Authentication-Results of Gmail and Outlook", "[received]") {
  auto a = parse_authentication_results(
      "mx.google.com;       dkim=pass header.i=@gmail.com header.s=20230601 header.b=Xy1/ab+c;       arc=pass (i=1 spf=pass "
      "spfdomain=example.org dkim=pass dkdomain=example.org dmarc=pass fromdomain=example.org);       spf=pass (google.com: domain of "
      "alice@example.org designates 209.85.220.41 as permitted sender) smtp.mailfrom=alice@example.org;       dmarc=pass (p=NONE "
      "sp=QUARANTINE dis=NONE) header.from=example.org");
  CHECK(a.authserv_id == "mx.google.com");
  REQUIRE(a.methods.size() == 4);
  CHECK(a.methods[0].method == "dkim");
  CHECK(property(a.methods[0], "header.b") == "Xy1/ab+c");
  CHECK(property(a.methods[0], "header.s") == "20230601");
  CHECK(a.methods[1].method == "arc");
  CHECK(a.methods[1].result == "pass");
  CHECK(a.methods[1].properties.empty());
  CHECK(a.methods[2].method == "spf");
  CHECK(property(a.methods[2], "smtp.mailfrom") == "alice@example.org");
  CHECK(a.methods[3].method == "dmarc");
  CHECK(property(a.methods[3], "header.from") == "example.org");
  CHECK(a.problems.empty());
  a.header_index = 7;
  const std::string head = R"({"header_index":7,"authserv_id":"mx.google.com","methods":[{"method":"dkim","result":"pass","reason":null,)"
                           R"("properties":{"header.i":"@gmail.com","header.s":"20230601","header.b":"Xy1/ab+c"}},{"method":"arc",)";
  CHECK(to_json(a).dump().substr(0, head.size()) == head);

  // Outlook: properties without ptype, reason as a token, ';' without space
  a = parse_authentication_results("spf=pass (sender IP is 40.107.22.51) smtp.mailfrom=outlook.com; dkim=pass (signature was verified) "
                                   "header.d=outlook.com;dmarc=pass action=none header.from=outlook.com;compauth=pass reason=100");
  CHECK(a.authserv_id.empty());
  CHECK(has_problem(a.problems, "no authserv-id"));
  REQUIRE(a.methods.size() == 4);
  CHECK(a.methods[0].method == "spf");
  CHECK(property(a.methods[0], "smtp.mailfrom") == "outlook.com");
  CHECK(a.methods[2].method == "dmarc");
  CHECK(property(a.methods[2], "action") == "none");
  CHECK(property(a.methods[2], "header.from") == "outlook.com");
  CHECK(a.methods[3].method == "compauth");
  CHECK(a.methods[3].reason == "100");
  CHECK(to_json(a)["authserv_id"].is_null());

  a = parse_authentication_results("mailb.triara.com; spf=None smtp.mailfrom=www-data@vps-051e4cda.vps.ovh.net"); // mail_test_17
  REQUIRE(a.methods.size() == 1);
  CHECK(a.methods[0].result == "none");
}

TEST_CASE("broken Authentication-Results never throw", "[received]") {
  for (const std::string bad :
       {"", ";", "x; spf", "x; spf=", "x; =pass", "x; (unclosed", "x; spf=pass smtp.mailfrom=\"unclosed", "x y z", "x; spf=pass dkim=pass",
        "x; none; spf=pass", "\x01\xff; \x02=\x03", "x; spf=pass ((((", "x; spf=pass =="}) {
    INFO(bad);
    AuthResults a;
    CHECK_NOTHROW(a = parse_authentication_results(bad));
    CHECK_NOTHROW(to_json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    CHECK_FALSE(a.problems.empty());
  }
  auto a = parse_authentication_results("x; spf=pass dkim=pass header.d=a");
  REQUIRE(a.methods.size() == 2);
  CHECK(property(a.methods[1], "header.d") == "a");

  std::string big = "x;";
  while (big.size() < (1u << 20))
    big += " spf=pass a=b (c) \"d\"";
  const auto t0 = std::chrono::steady_clock::now();
  a = parse_authentication_results(big);
  CHECK(a.methods.size() > 1000);
  CHECK(a.problems.size() <= 50);
  CHECK(seconds_since(t0) < 10);
}

// ---------------------------------------------------------------------------------------------
// The shared corpus

TEST_CASE("every corpus message goes through the chain and auth-results parsers", "[received][corpora]") {
  const std::filesystem::path root = std::filesystem::path(cbkit::test::corpora_dir()) / "email";
  REQUIRE(std::filesystem::is_directory(root));
  std::size_t files = 0;
  std::size_t hops = 0;
  std::size_t with_ip = 0;
  std::size_t auth = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(e.path().string());
    ++files;
    const HeaderBlock b = split_headers(msg);
    std::vector<Hop> chain;
    REQUIRE_NOTHROW(chain = received_chain(b));
    for (const Hop& h : chain) {
      ++hops;
      CHECK((h.date.valid || !h.problems.empty()));
      CHECK(iequals(b.fields.at(h.header_index).name, "Received"));
      CHECK_NOTHROW(to_json(h).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    for (std::size_t i = 0; i < b.fields.size(); ++i) {
      if (!iequals(b.fields[i].name, "Authentication-Results")) continue;
      ++auth;
      AuthResults a;
      REQUIRE_NOTHROW(a = parse_authentication_results(b.fields[i].unfolded));
      a.header_index = i;
      CHECK_NOTHROW(to_json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    std::optional<OriginatingIp> ip;
    REQUIRE_NOTHROW(ip = likely_originating_ip(b, chain));
    if (ip) {
      ++with_ip;
      CHECK_FALSE(ip->ip.empty());
      CHECK_FALSE(ip->reason.empty());
    }
  }
  CHECK(files > 100);
  CHECK(hops > 100);
  CHECK(auth > 5);
  CHECK(with_ip > 20);
}

// ---------------------------------------------------------------------------------------------
// Origin: provider relays are never the originating IP

namespace {

struct RelayCase {
  std::string provider; // the row's key
  std::string received; // the Received lines, newest first, as the recipient's server saw them
  std::string relay_ip; // the address of the relay that handed the message on
  std::string queue_id; // the provider's queue id, "" when it writes none
};

std::string message_with(const std::string& received, const std::string& extra = "") {
  return received + extra +
         "From: Anon <anon@example.net>\r\n"
         "To: counsellor@school.example.be\r\n"
         "Subject: you will regret this\r\n"
         "Date: Tue, 18 Jun 2024 12:11:52 +0200\r\n"
         "Message-ID: <threat-1@example.net>\r\n"
         "\r\n"
         "body\r\n";
}

} // namespace

TEST_CASE("every provider row is recognised from a realistic Received chain", "[received][origin]") {
  const std::vector<RelayCase> cases{
      {"google",
       "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n"
       "        by mx.example.be with ESMTPS id 4W3Lb21Zkpz9sTm\r\n"
       "        for <counsellor@school.example.be>; Tue, 18 Jun 2024 12:12:05 +0200 (CEST)\r\n"
       "Received: by mail-sor-f41.google.com with SMTP id 5b1f17b1804b1-42189d3c7efso41852715e9.2\r\n"
       "        for <counsellor@school.example.be>; Tue, 18 Jun 2024 03:12:04 -0700 (PDT)\r\n",
       "209.85.220.41", "5b1f17b1804b1-42189d3c7efso41852715e9.2"},
      {"microsoft",
       "Received: from EUR05-AM6-obe.outbound.protection.outlook.com (mail-am6eur05olkn2101.outbound.protection.outlook.com "
       "[40.92.90.101]) by mx.example.be with ESMTPS id 4W3Lb3; Tue, 18 Jun 2024 10:12:05 +0000\r\n"
       "Received: from AM0PR02MB5678.eurprd02.prod.outlook.com (2603:10a6:208:12a::19) by\r\n"
       " DB9PR02MB7001.eurprd02.prod.outlook.com (2603:10a6:10:1f3::8) with Microsoft SMTP\r\n"
       " Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n"
       " 15.20.7677.30; Tue, 18 Jun 2024 10:12:04 +0000\r\n"
       "Received: from AM0PR02MB5678.eurprd02.prod.outlook.com ([fe80::1c2d:3e4f:5a6b:7c8d]) by\r\n"
       " AM0PR02MB5678.eurprd02.prod.outlook.com ([fe80::1c2d:3e4f:5a6b:7c8d%6]) with mapi id\r\n"
       " 15.20.7677.030; Tue, 18 Jun 2024 10:12:03 +0000\r\n",
       "40.92.90.101", ""},
      {"yahoo",
       "Received: from sonic309-21.consmr.mail.ir2.yahoo.com (sonic309-21.consmr.mail.ir2.yahoo.com [77.238.179.86])\r\n"
       "        by mx.example.be with ESMTPS id 4W3M; Tue, 18 Jun 2024 10:12:05 +0000\r\n"
       "Received: from sonic.gate.mail.ne1.yahoo.com by sonic309.consmr.mail.ir2.yahoo.com with HTTP; Tue, 18 Jun 2024 10:12:04 +0000\r\n",
       "77.238.179.86", ""},
      {"apple",
       "Received: from st43p00im-zteg10062001.me.com (st43p00im-zteg10062001.me.com [17.58.63.172])\r\n"
       "        by mx.example.be with ESMTPS id 4W3N; Tue, 18 Jun 2024 10:12:05 +0000\r\n"
       "Received: from smtpclient.apple (st43p00im-dlb-asmtp-mailmevip.me.com [17.42.251.41])\r\n"
       "        by st43p00im-zteg10062001.me.com (Postfix) with ESMTPSA id 2F1A0C800A5\r\n"
       "        for <counsellor@school.example.be>; Tue, 18 Jun 2024 10:12:04 +0000 (UTC)\r\n",
       "17.58.63.172", "2F1A0C800A5"},
      {"gmx",
       "Received: from mout.gmx.net (mout.gmx.net [212.227.17.20]) by mx.example.be with ESMTPS id 4W3P;\r\n"
       "        Tue, 18 Jun 2024 10:12:05 +0000\r\n",
       "212.227.17.20", ""},
      {"proton",
       "Received: from mail-4316.protonmail.ch (mail-4316.protonmail.ch [185.70.43.16]) by mx.example.be with ESMTPS id 4W3Q;\r\n"
       "        Tue, 18 Jun 2024 10:12:05 +0000\r\n",
       "185.70.43.16", ""},
      {"telenet",
       "Received: from andre.telenet-ops.be (andre.telenet-ops.be [195.130.132.53]) by mx.example.be with ESMTPS id 4W3R;\r\n"
       "        Tue, 18 Jun 2024 10:12:05 +0000\r\n",
       "195.130.132.53", ""},
      {"proximus",
       "Received: from relay.proximus.be (relay.proximus.be [195.238.20.143]) by mx.example.be with ESMTPS id 4W3S;\r\n"
       "        Tue, 18 Jun 2024 10:12:05 +0000\r\n",
       "195.238.20.143", ""},
  };
  std::vector<std::string> covered;
  for (const RelayCase& c : cases) {
    INFO(c.provider);
    const std::string msg = message_with(c.received);
    const HeaderBlock b = split_headers(msg);
    const auto chain = received_chain(b);
    const Origin o = origin_of(b, chain);
    CHECK(o.rule == k_rule_provider_relay);
    CHECK_FALSE(o.client);
    CHECK_FALSE(likely_originating_ip(b, chain));
    REQUIRE(o.provider != nullptr);
    CHECK(o.provider->key == c.provider);
    CHECK(o.relay_ip == c.relay_ip);
    const auto j = to_json(o, chain, "<threat-1@example.net>");
    CHECK(j["client_ip"].is_null());
    CHECK(j["provider"]["key"] == c.provider);
    CHECK(j["provider"]["client_ip_disclosed"] == false);
    CHECK(j["provider"]["relay_ip"] == c.relay_ip);
    CHECK(j["identifiers"]["message_id"] == "<threat-1@example.net>");
    CHECK(j["identifiers"]["handoff_utc"] == "2024-06-18T10:12:05Z");
    if (c.queue_id.empty())
      CHECK(j["identifiers"]["queue_id"].is_null());
    else
      CHECK(j["identifiers"]["queue_id"] == c.queue_id);
    CHECK(j["conclusion"].get<std::string>().find("must be asked") != std::string::npos);
    CHECK(j["evidence"][0]["received_index"] == *o.relay_received_index);
    CHECK(j.dump().find("carrier-grade NAT") != std::string::npos);
    covered.push_back(c.provider);
  }
  for (const RelayProvider& p : relay_providers())
    CHECK(std::find(covered.begin(), covered.end(), std::string(p.key)) != covered.end());
}

TEST_CASE("provider_of_host matches on a label boundary and never a customer's connection", "[received][origin]") {
  REQUIRE(provider_of_host("mail-sor-f41.google.com.") != nullptr);
  CHECK(provider_of_host("MAIL-SOR-F41.GOOGLE.COM")->key == "google");
  CHECK(provider_of_host("google.com")->key == "google");
  CHECK(provider_of_host("x.bc.googleusercontent.com") == nullptr);
  CHECK(provider_of_host("notgoogle.com") == nullptr);
  CHECK(provider_of_host("d54c1234.access.telenet.be") == nullptr);
  CHECK(provider_of_host("ip-81-11-200-1.dynamic.isp.proximus.be") == nullptr);
  CHECK(provider_of_host("AC8A1234.ipt.aol.com") == nullptr);
  CHECK(provider_of_host("") == nullptr);
  CHECK(provider_of_host("[209.85.220.41]") == nullptr);
  CHECK(provider_of_host("209.85.220.41") == nullptr);
}

TEST_CASE("a first hop from a host that is not a provider's relay gives the client IP", "[received][origin]") {
  // the suspect's home connection submits to GMX, which records its address; GMX relays it on
  const std::string msg =
      message_with("Received: from mout.gmx.net (mout.gmx.net [212.227.17.20]) by mx.example.be with ESMTPS id 4W3P;\r\n"
                   "        Tue, 18 Jun 2024 10:12:05 +0000\r\n"
                   "Received: from [192.168.1.23] ([81.164.2.77]) by mail.gmx.net (mrgmx104 [212.227.17.168])\r\n"
                   " with ESMTPSA (Nemesis) id 1MkHQX-1sKbCk0PZT-00kMFm; Tue, 18 Jun 2024 10:12:04 +0000\r\n");
  HeaderBlock b = split_headers(msg);
  auto chain = received_chain(b);
  Origin o = origin_of(b, chain);
  CHECK(o.rule == k_rule_first_public_hop);
  REQUIRE(o.client);
  CHECK(o.client->ip == "81.164.2.77");
  CHECK(o.client_received_index == 0u);
  auto j = to_json(o, chain, "");
  CHECK(j["client_ip"]["ip"] == "81.164.2.77");
  CHECK(j["client_ip"]["received_index"] == 0);
  CHECK(j["evidence"][0]["header_index"] == 1);
  CHECK(j["identifiers"]["message_id"].is_null());
  CHECK(j["cannot_know"].dump().find("carrier-grade NAT") != std::string::npos);

  // a home connection (its reverse-DNS name is under the access provider's domain) sending
  // through the suspect's own server
  const std::string own = message_with(
      "Received: from mail.suspect.example (mail.suspect.example [81.2.69.143]) by mx.example.be; Tue, 18 Jun 2024 10:12:05 +0000\r\n"
      "Received: from laptop (d54c1234.access.telenet.be [84.193.18.52]) by mail.suspect.example with ESMTPSA id 9A8B;\r\n"
      " Tue, 18 Jun 2024 10:12:04 +0000\r\n");
  b = split_headers(own);
  chain = received_chain(b);
  o = origin_of(b, chain);
  CHECK(o.rule == k_rule_first_public_hop);
  REQUIRE(o.client);
  CHECK(o.client->ip == "84.193.18.52");
  CHECK(o.provider == nullptr);

  // a forged line under a Gmail relay: Google never recorded receiving it, so the line came
  // with the submitted message and is not taken as the origin
  const std::string forged = message_with(
      "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.example.be with ESMTPS id 4W3L;\r\n"
      " Tue, 18 Jun 2024 10:12:05 +0000\r\n"
      "Received: from innocent (innocent.example [81.2.69.160]) by fake.example; Tue, 18 Jun 2024 10:12:00 +0000\r\n");
  b = split_headers(forged);
  chain = received_chain(b);
  o = origin_of(b, chain);
  CHECK(o.rule == k_rule_provider_relay);
  CHECK_FALSE(o.client);
  CHECK(to_json(o, chain, "").dump().find("may have been written by the sender") != std::string::npos);

  // a host that only calls itself by a provider's name: neither its address nor the provider
  const std::string claimed =
      message_with("Received: from hotmail.com (96.202.181.20) by mx.example.be with ESMTP; Tue, 18 Jun 2024 10:12:05 +0000\r\n");
  b = split_headers(claimed);
  chain = received_chain(b);
  o = origin_of(b, chain);
  CHECK(o.rule == k_rule_unconfirmed_relay);
  CHECK_FALSE(o.client);
  CHECK(to_json(o, chain, "")["provider"]["matched_on"] == "helo-unconfirmed");
}

TEST_CASE("a provider relay with a client-IP header gives that address and names the provider", "[received][origin]") {
  const std::string msg =
      message_with("Received: from EUR05-AM6-obe.outbound.protection.outlook.com (mail-am6eur05olkn2101.outbound.protection.outlook.com "
                   "[40.92.90.101]) by mx.example.be with ESMTPS id 4W3Lb3; Tue, 18 Jun 2024 10:12:05 +0000\r\n",
                   "X-Originating-IP: [81.164.2.77]\r\n"
                   "X-MS-Exchange-CrossTenant-Network-Message-Id: 5c1d2e3f-aaaa-bbbb-cccc-0123456789ab\r\n");
  const HeaderBlock b = split_headers(msg);
  const auto chain = received_chain(b);
  const Origin o = origin_of(b, chain);
  CHECK(o.rule == k_rule_client_ip_header);
  REQUIRE(o.client);
  CHECK(o.client->ip == "81.164.2.77");
  CHECK(o.client->source == "X-Originating-IP");
  REQUIRE(o.provider != nullptr);
  CHECK(o.provider->key == "microsoft");
  const auto j = to_json(o, chain, "<threat-1@example.net>");
  CHECK(j["client_ip"]["header_index"] == 1);
  CHECK(j["provider"]["client_ip_disclosed"].is_null());
  REQUIRE(j["identifiers"]["provider_ids"].size() == 1);
  CHECK(j["identifiers"]["provider_ids"][0]["value"] == "5c1d2e3f-aaaa-bbbb-cccc-0123456789ab");
  CHECK(j["cannot_know"].dump().find("sending program") != std::string::npos);
}

TEST_CASE("old webmail's own line naming the user's address gives the client IP", "[received][origin]") {
  const std::string msg = message_with(
      "Received: from web82107.mail.mud.yahoo.com (web82107.mail.mud.yahoo.com [209.191.84.220]) by mx.example.be with SMTP;\r\n"
      " Thu, 03 Dec 2009 18:50:23 +0000\r\n"
      "Received: from [41.222.192.69] by web82107.mail.mud.yahoo.com via HTTP; Thu, 03 Dec 2009 10:50:22 PST\r\n");
  const HeaderBlock b = split_headers(msg);
  const auto chain = received_chain(b);
  const Origin o = origin_of(b, chain);
  CHECK(o.rule == k_rule_provider_submission);
  REQUIRE(o.client);
  CHECK(o.client->ip == "41.222.192.69");
  REQUIRE(o.provider != nullptr);
  CHECK(o.provider->key == "yahoo");
  CHECK(to_json(o, chain, "")["provider"]["client_ip_disclosed"] == true);
}
