package mockllm

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Image is an image a request carried as image content, decoded.
type Image struct {
	Role     string // the message's role
	MimeType string
	Data     []byte
}

// Images returns the images of the request's messages, in order, as the
// protocol carries them: Anthropic image blocks with a base64 source,
// OpenAI input_image parts with a data: URL, Gemini inlineData parts with
// an image type. Images a client names only by path are not images here.
func (r *Request) Images() []Image {
	switch r.API {
	case Anthropic:
		return anthropicImages(r.Body)
	case OpenAI:
		return openAIImages(r.Body)
	case Gemini:
		return geminiImages(r.Body)
	}
	return nil
}

func anthropicImages(body []byte) []Image {
	var b struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	json.Unmarshal(body, &b) // error ignored: no images in an odd body
	var out []Image
	for _, m := range b.Messages {
		var blocks []struct {
			Type   string `json:"type"`
			Source struct {
				Type      string `json:"type"`
				MediaType string `json:"media_type"`
				Data      string `json:"data"`
			} `json:"source"`
		}
		json.Unmarshal(m.Content, &blocks) // error ignored: a string content has none
		for _, bl := range blocks {
			if bl.Type == "image" && bl.Source.Type == "base64" {
				if d, err := base64.StdEncoding.DecodeString(bl.Source.Data); err == nil {
					out = append(out, Image{Role: m.Role, MimeType: bl.Source.MediaType, Data: d})
				}
			}
		}
	}
	return out
}

func openAIImages(body []byte) []Image {
	var b struct {
		Input json.RawMessage `json:"input"`
	}
	json.Unmarshal(body, &b) // error ignored: no images in an odd body
	var items []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	json.Unmarshal(b.Input, &items) // error ignored: a string input has none
	var out []Image
	for _, it := range items {
		var parts []struct {
			Type     string          `json:"type"`
			ImageURL json.RawMessage `json:"image_url"`
		}
		json.Unmarshal(it.Content, &parts) // error ignored: a string content has none
		for _, p := range parts {
			if p.Type != "input_image" {
				continue
			}
			var url string
			if json.Unmarshal(p.ImageURL, &url) != nil {
				var o struct {
					URL string `json:"url"`
				}
				json.Unmarshal(p.ImageURL, &o) // error ignored: neither form: no image
				url = o.URL
			}
			if img, ok := dataURL(url); ok {
				img.Role = it.Role
				out = append(out, img)
			}
		}
	}
	return out
}

// dataURL decodes data:<type>;base64,<data>.
func dataURL(u string) (Image, bool) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return Image{}, false
	}
	meta, data, ok := strings.Cut(rest, ",")
	mime, isB64 := strings.CutSuffix(meta, ";base64")
	if !ok || !isB64 {
		return Image{}, false
	}
	d, err := base64.StdEncoding.DecodeString(data)
	return Image{MimeType: mime, Data: d}, err == nil
}

func geminiImages(body []byte) []Image {
	var b struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []struct {
				InlineData *struct {
					MimeType string `json:"mimeType"`
					Data     string `json:"data"`
				} `json:"inlineData"`
			} `json:"parts"`
		} `json:"contents"`
	}
	json.Unmarshal(body, &b) // error ignored: no images in an odd body
	var out []Image
	for _, c := range b.Contents {
		for _, p := range c.Parts {
			if p.InlineData == nil || !strings.HasPrefix(p.InlineData.MimeType, "image/") {
				continue
			}
			if d, err := base64.StdEncoding.DecodeString(p.InlineData.Data); err == nil {
				out = append(out, Image{Role: c.Role, MimeType: p.InlineData.MimeType, Data: d})
			}
		}
	}
	return out
}
