package config

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	xdraw "golang.org/x/image/draw"
)

// ErrNoQR means no QR code could be read in an image.
var ErrNoQR = errors.New("no qr code found in the image")

// ErrQRNotWireGuard means an image holds a readable QR code, but its text is
// not a wg-quick config (for example a link or a Wi-Fi code). The parse
// reason is wrapped with it.
var ErrQRNotWireGuard = errors.New("the qr code holds no wireguard config")

// ErrTooLarge is wrapped by every error about an input over the limits:
// text over MaxTextSize, an image over MaxImagePixels, a file or zip archive
// over its size or entry limits.
var ErrTooLarge = errors.New("input too large")

// MaxImagePixels is the largest image (width times height) DecodeQRFile
// decodes: 50 megapixels, more than any screen and most phone cameras, but
// small enough that a hostile header cannot make us allocate gigabytes.
const MaxImagePixels = 50_000_000

// Image formats we recognise by their first bytes.
const (
	formatPNG  = "png"
	formatJPEG = "jpeg"
	formatGIF  = "gif"
)

// imageFormat names the image format of data by its magic number, or ""
// when data is no PNG, JPEG or GIF.
func imageFormat(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return formatJPEG
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF
	}
	return ""
}

// DecodeQRFile decodes a PNG, JPEG or GIF image and reads the wg-quick
// config in its QR code, as DecodeQR does. The image dimensions are checked
// from the header before any pixel is decoded.
func DecodeQRFile(data []byte) (string, error) {
	img, err := decodeImage(data)
	if err != nil {
		return "", err
	}
	return DecodeQR(img)
}

// decodeImage decodes PNG, JPEG or GIF bytes within MaxImagePixels.
func decodeImage(data []byte) (image.Image, error) {
	format := imageFormat(data)
	if format == "" {
		return nil, errors.New("not an image: want a png, jpeg or gif file")
	}
	var (
		decodeConfig func([]byte) (image.Config, error)
		decode       func([]byte) (image.Image, error)
	)
	switch format {
	case formatPNG:
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case formatJPEG:
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case formatGIF:
		decodeConfig = func(b []byte) (image.Config, error) { return gif.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return gif.Decode(bytes.NewReader(b)) }
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("read %s header: %w", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("read %s header: empty image %dx%d", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, fmt.Errorf("%w: %s image of %dx%d pixels, the limit is %d megapixels",
			ErrTooLarge, format, cfg.Width, cfg.Height, MaxImagePixels/1_000_000)
	}
	img, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s image: %w", format, err)
	}
	return img, nil
}

// DecodeQR finds a QR code in img and returns its text when it is a valid
// wg-quick config. It copes with codes that fill a small part of a large
// screenshot, inverted colours, rotation and JPEG artefacts by trying
// several binarizers and transformed copies of the image in turn.
//
// It returns ErrNoQR when no code can be read and ErrQRNotWireGuard
// (wrapping the parse error) when the code holds something else.
func DecodeQR(img image.Image) (string, error) {
	text, err := readQR(img)
	if err != nil {
		return "", err
	}
	if _, _, err := Parse([]byte(text)); err != nil {
		return "", fmt.Errorf("%w: %w", ErrQRNotWireGuard, err)
	}
	return text, nil
}

// readQR returns the text of the first QR code any decoding attempt finds.
func readQR(img image.Image) (string, error) {
	b := img.Bounds()
	if b.Empty() {
		return "", ErrNoQR
	}
	if int64(b.Dx())*int64(b.Dy()) > MaxImagePixels {
		return "", fmt.Errorf("%w: image of %dx%d pixels", ErrTooLarge, b.Dx(), b.Dy())
	}
	lum := luminanceOf(img)

	var lastPanic error
	try := func(l *lumImage) (string, bool) {
		text, err := decodeLum(l)
		if err == nil {
			return text, true
		}
		var pe *decoderPanic
		if errors.As(err, &pe) {
			lastPanic = err
		}
		return "", false
	}
	// Cheapest and most likely first. Each step builds its variant only when
	// the earlier ones failed, so a clean image costs a single decode.
	variants := []func() *lumImage{
		func() *lumImage { return lum },
		func() *lumImage { return lum.inverted() },
		func() *lumImage { return lum.rotated90() },
		func() *lumImage { return lum.rotated90().rotated90() },
		func() *lumImage { return lum.rotated90().rotated90().rotated90() },
		func() *lumImage { return lum.downscaled(2) },
		func() *lumImage { return lum.downscaled(3) },
		func() *lumImage { return lum.downscaled(4) },
		func() *lumImage { return lum.downscaled(2).inverted() },
		func() *lumImage {
			// Tiny codes (a thumbnail, 1-2 pixels a module) sometimes need
			// more pixels for the finder-pattern search.
			if lum.w*lum.h > 4_000_000 {
				return nil
			}
			return lum.upscaled2()
		},
		// Fractional module sizes (HiDPI screenshots scaled by 1.25 or
		// 1.5) trip gozxing's grid estimate; resampling by a non-integer
		// factor moves the module size to one it reads.
		func() *lumImage {
			if lum.w*lum.h > 4_000_000 {
				return nil
			}
			return lum.resized(4, 3)
		},
		func() *lumImage {
			if lum.w*lum.h > 4_000_000 {
				return nil
			}
			return lum.resized(5, 4)
		},
		func() *lumImage { return lum.resized(2, 3) },
	}
	for _, v := range variants {
		l := v()
		if l == nil || l.w < 21 || l.h < 21 {
			continue
		}
		if text, ok := try(l); ok {
			return text, nil
		}
	}
	if lastPanic != nil {
		return "", fmt.Errorf("%w (%v)", ErrNoQR, lastPanic)
	}
	return "", ErrNoQR
}

// decoderPanic is a panic inside gozxing turned into an error.
type decoderPanic struct{ v any }

func (p *decoderPanic) Error() string { return fmt.Sprintf("qr decoder failed: %v", p.v) }

var qrHints = map[gozxing.DecodeHintType]any{
	gozxing.DecodeHintType_TRY_HARDER:       true,
	gozxing.DecodeHintType_POSSIBLE_FORMATS: []gozxing.BarcodeFormat{gozxing.BarcodeFormat_QR_CODE},
	// wg-quick files are UTF-8; without this gozxing guesses per code and
	// may pick Shift_JIS for byte-mode data.
	gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
}

// decodeLum runs the QR reader over l with the hybrid binarizer (good for
// uneven light and screenshots), then the global histogram one (good for
// small codes and low contrast). gozxing has panicked on odd input, so
// panics become errors.
func decodeLum(l *lumImage) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = "", &decoderPanic{r}
		}
	}()
	src, err := gozxing.NewPlanarYUVLuminanceSource(l.pix, l.w, l.h, 0, 0, l.w, l.h, false)
	if err != nil {
		return "", err
	}
	binarizers := []gozxing.Binarizer{
		gozxing.NewHybridBinarizer(src),
		gozxing.NewGlobalHistgramBinarizer(src),
	}
	err = ErrNoQR
	for _, bin := range binarizers {
		bmp, berr := gozxing.NewBinaryBitmap(bin)
		if berr != nil {
			err = berr
			continue
		}
		res, derr := qrcode.NewQRCodeReader().Decode(bmp, qrHints)
		if derr != nil {
			err = derr
			continue
		}
		return res.GetText(), nil
	}
	return "", err
}

// lumImage is an 8-bit luminance image, row-major, no padding.
type lumImage struct {
	w, h int
	pix  []byte
}

// luminanceOf converts img to luminance, compositing transparency on white
// (a transparent PNG with black modules is a common export).
func luminanceOf(img image.Image) *lumImage {
	b := img.Bounds()
	l := &lumImage{w: b.Dx(), h: b.Dy(), pix: make([]byte, b.Dx()*b.Dy())}
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < l.h; y++ {
			row := m.Pix[(y)*m.Stride:]
			copy(l.pix[y*l.w:(y+1)*l.w], row[:l.w])
		}
		return l
	case *image.YCbCr:
		// JPEG: the Y plane is the luminance already.
		for y := 0; y < l.h; y++ {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(l.pix[y*l.w:(y+1)*l.w], m.Y[off:off+l.w])
		}
		return l
	case *image.Paletted:
		lut := make([]byte, len(m.Palette))
		for i, c := range m.Palette {
			lut[i] = lumaOf(c)
		}
		for y := 0; y < l.h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < l.w; x++ {
				if idx := row[x]; int(idx) < len(lut) {
					l.pix[y*l.w+x] = lut[idx]
				} else {
					l.pix[y*l.w+x] = 255
				}
			}
		}
		return l
	case *image.RGBA:
		for y := 0; y < l.h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < l.w; x++ {
				p := row[4*x : 4*x+4]
				l.pix[y*l.w+x] = lumaPremul(uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101, uint32(p[3])*0x101)
			}
		}
		return l
	case *image.NRGBA:
		for y := 0; y < l.h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < l.w; x++ {
				p := row[4*x : 4*x+4]
				a := uint32(p[3])
				l.pix[y*l.w+x] = lumaPremul(uint32(p[0])*a*0x101/255, uint32(p[1])*a*0x101/255, uint32(p[2])*a*0x101/255, a*0x101)
			}
		}
		return l
	}
	for y := 0; y < l.h; y++ {
		for x := 0; x < l.w; x++ {
			l.pix[y*l.w+x] = lumaOf(img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return l
}

func lumaOf(c color.Color) byte {
	r, g, b, a := c.RGBA()
	return lumaPremul(r, g, b, a)
}

// lumaPremul takes 16-bit premultiplied components and returns the
// luminance over a white background.
func lumaPremul(r, g, b, a uint32) byte {
	y := (299*r + 587*g + 114*b) / 1000 // 0..0xffff
	y += 0xffff - a                     // white shows through
	if y > 0xffff {
		y = 0xffff
	}
	return byte(y >> 8)
}

func (l *lumImage) inverted() *lumImage {
	out := &lumImage{w: l.w, h: l.h, pix: make([]byte, len(l.pix))}
	for i, v := range l.pix {
		out.pix[i] = 255 - v
	}
	return out
}

// rotated90 turns the image a quarter clockwise.
func (l *lumImage) rotated90() *lumImage {
	out := &lumImage{w: l.h, h: l.w, pix: make([]byte, len(l.pix))}
	for y := 0; y < l.h; y++ {
		for x := 0; x < l.w; x++ {
			// (x, y) goes to (h-1-y, x).
			out.pix[x*out.w+(l.h-1-y)] = l.pix[y*l.w+x]
		}
	}
	return out
}

// downscaled averages k×k blocks: on huge screenshots with small modules
// this removes anti-aliasing and JPEG ringing the binarizers trip over.
func (l *lumImage) downscaled(k int) *lumImage {
	w, h := l.w/k, l.h/k
	if w == 0 || h == 0 {
		return nil
	}
	out := &lumImage{w: w, h: h, pix: make([]byte, w*h)}
	n := uint32(k * k)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var sum uint32
			for dy := 0; dy < k; dy++ {
				row := l.pix[(y*k+dy)*l.w+x*k:]
				for dx := 0; dx < k; dx++ {
					sum += uint32(row[dx])
				}
			}
			out.pix[y*w+x] = byte(sum / n)
		}
	}
	return out
}

// resized scales the image by num/den with bilinear interpolation.
func (l *lumImage) resized(num, den int) *lumImage {
	w, h := l.w*num/den, l.h*num/den
	if w == 0 || h == 0 {
		return nil
	}
	src := &image.Gray{Pix: l.pix, Stride: l.w, Rect: image.Rect(0, 0, l.w, l.h)}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	return &lumImage{w: w, h: h, pix: dst.Pix}
}

// upscaled2 doubles the image with nearest-neighbour sampling.
func (l *lumImage) upscaled2() *lumImage {
	out := &lumImage{w: 2 * l.w, h: 2 * l.h, pix: make([]byte, 4*len(l.pix))}
	for y := 0; y < out.h; y++ {
		src := l.pix[(y/2)*l.w:]
		dst := out.pix[y*out.w:]
		for x := 0; x < out.w; x++ {
			dst[x] = src[x/2]
		}
	}
	return out
}

// QR code rendering defaults for EncodeQR: level M survives a phone camera
// and a scuffed screen; 4 modules of quiet zone is what the standard asks.
const (
	qrLevel       = "M"
	qrMargin      = 4
	maxQRPixelsPM = 64
)

// EncodeQR renders text as a QR code (error correction level M, 4-module
// quiet zone), pixelsPerModule pixels for each module, black on white.
func EncodeQR(text string, pixelsPerModule int) (image.Image, error) {
	return encodeQR(text, qrLevel, qrMargin, pixelsPerModule)
}

// encodeQR renders text at the given error correction level ("L", "M",
// "Q", "H") and quiet zone in modules. The result is a two-colour paletted
// image, which PNG stores at one bit a pixel.
func encodeQR(text, level string, margin, pixelsPerModule int) (*image.Paletted, error) {
	if pixelsPerModule < 1 || pixelsPerModule > maxQRPixelsPM {
		return nil, fmt.Errorf("encode qr code: %d pixels a module, want 1 to %d", pixelsPerModule, maxQRPixelsPM)
	}
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: level,
		gozxing.EncodeHintType_MARGIN:           margin,
	}
	if !isASCII(text) {
		// Only then: the hint adds an ECI header, which plain ASCII (every
		// RouterOS export) does not need and some old scanners mishandle.
		hints[gozxing.EncodeHintType_CHARACTER_SET] = "UTF-8"
	}
	// Width and height 0: one pixel a module, quiet zone included; we scale.
	bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, fmt.Errorf("encode qr code: %w", err)
	}
	n := bm.GetWidth()
	size := n * pixelsPerModule
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for my := 0; my < n; my++ {
		for mx := 0; mx < n; mx++ {
			if !bm.Get(mx, my) {
				continue
			}
			for y := my * pixelsPerModule; y < (my+1)*pixelsPerModule; y++ {
				row := img.Pix[y*img.Stride:]
				for x := mx * pixelsPerModule; x < (mx+1)*pixelsPerModule; x++ {
					row[x] = 1
				}
			}
		}
	}
	return img, nil
}

// QRPNG renders the whole config, private key included, as a PNG QR code
// for the WireGuard app on a phone to scan. Treat the result as a secret.
func (c *Config) QRPNG() ([]byte, error) {
	img, err := EncodeQR(string(c.Marshal()), 8)
	if err != nil {
		return nil, err
	}
	return encodePNG(img)
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
