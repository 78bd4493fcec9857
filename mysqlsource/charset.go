package mysqlsource

import (
	"strings"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

// binaryCollation is the collation id of the binary character set: columns
// with it hold bytes, not text.
const binaryCollation = 63

// The binlog carries text in its column's character set, while snapshot
// queries ask the server for UTF-8. To give both the same value, binlog text
// in another character set is converted here.
var charsetEncodings = map[string]encoding.Encoding{
	"latin1":   mysqlLatin1, // MySQL's latin1 is cp1252, with its 5 holes kept
	"latin2":   charmap.ISO8859_2,
	"latin5":   charmap.ISO8859_9,
	"latin7":   charmap.ISO8859_13,
	"greek":    charmap.ISO8859_7,
	"hebrew":   charmap.ISO8859_8,
	"cp1250":   charmap.Windows1250,
	"cp1251":   charmap.Windows1251,
	"cp1256":   charmap.Windows1256,
	"cp1257":   charmap.Windows1257,
	"cp850":    charmap.CodePage850,
	"cp852":    charmap.CodePage852,
	"cp866":    charmap.CodePage866,
	"koi8r":    charmap.KOI8R,
	"koi8u":    charmap.KOI8U,
	"macroman": charmap.Macintosh,
	"tis620":   charmap.Windows874,
	"gbk":      simplifiedchinese.GBK,
	"gb2312":   simplifiedchinese.GBK, // EUC-CN, a subset of GBK
	"gb18030":  simplifiedchinese.GB18030,
	"big5":     traditionalchinese.Big5,
	"sjis":     japanese.ShiftJIS,
	"cp932":    japanese.ShiftJIS,
	"ujis":     japanese.EUCJP,
	"eucjpms":  japanese.EUCJP,
	"euckr":    korean.EUCKR,
	"ucs2":     unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16":    unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16le":  unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	"utf32":    utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
}

// charsetEncoding returns the decoder of a MySQL character set name, nil for
// UTF-8, ASCII and unknown sets (passed through as they are).
func charsetEncoding(name string) encoding.Encoding {
	return charsetEncodings[strings.ToLower(name)]
}

// collationEncoding returns the decoder of a collation id's character set.
// Unknown ids (MariaDB's newer collations are UTF-8 ones) pass through.
func collationEncoding(id uint64) encoding.Encoding {
	return charsetEncoding(collationCharsetName(id))
}

// collationCharsetName returns the name of a collation id's character set,
// "" when unknown. MariaDB's NO PAD collations are numbered 1024 above the
// collation they pad differently from.
func collationCharsetName(id uint64) string {
	c, err := charset.GetCollationByID(int(id))
	if err != nil && id >= 1024 && id < 2048 {
		c, err = charset.GetCollationByID(int(id - 1024))
	}
	if err != nil {
		return ""
	}
	return c.CharsetName
}

// collationCharset is a collation id's character set as schemas name it
// (see charsetName).
func collationCharset(id uint64) string { return charsetName(collationCharsetName(id)) }

// charsetName returns a character set's name as a string schema's Charset
// holds it: lower case, "" for the UTF-8 sets (and unknown ones).
func charsetName(name string) string {
	switch name = strings.ToLower(name); name {
	case "utf8", "utf8mb3", "utf8mb4":
		return ""
	}
	return name
}

// decodeText converts s from dec to UTF-8. ASCII text is returned as is.
func decodeText(s string, dec encoding.Encoding) string {
	if dec == nil {
		return s
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii && !isWide(dec) {
		return s
	}
	out, err := dec.NewDecoder().String(s)
	if err != nil {
		return s
	}
	return out
}

func isWide(dec encoding.Encoding) bool {
	switch dec {
	case charsetEncodings["ucs2"], charsetEncodings["utf16"], charsetEncodings["utf16le"], charsetEncodings["utf32"]:
		return true
	}
	return false
}

// mysqlLatin1 is MySQL's latin1: cp1252, except that the 5 bytes cp1252
// leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are U+0081 and so on,
// as the server converts them, where charmap.Windows1252 gives U+FFFD.
var mysqlLatin1 encoding.Encoding = latin1Encoding{}

type latin1Encoding struct{}

func (latin1Encoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: latin1Decoder{}}
}

func (latin1Encoding) NewEncoder() *encoding.Encoder { return charmap.Windows1252.NewEncoder() }

type latin1Decoder struct{ transform.NopResetter }

func (latin1Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		var r rune
		switch c {
		case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
			r = rune(c)
		default:
			r = charmap.Windows1252.DecodeByte(c)
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc++
	}
	return nDst, nSrc, nil
}
