package mockllm

import (
	"bytes"
	"testing"
)

func TestRequestImages(t *testing.T) {
	want := []byte("png!")
	for _, c := range []struct {
		api  API
		body string
	}{
		{Anthropic, `{"messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"cG5nIQ=="}}]}]}`},
		{OpenAI, `{"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"x"},{"type":"input_image","image_url":"data:image/png;base64,cG5nIQ=="}]}]}`},
		{Gemini, `{"contents":[{"role":"user","parts":[{"text":"x"},{"inlineData":{"mimeType":"image/png","data":"cG5nIQ=="}}]}]}`},
	} {
		r := &Request{API: c.api, Body: []byte(c.body)}
		imgs := r.Images()
		if len(imgs) != 1 || imgs[0].MimeType != "image/png" || !bytes.Equal(imgs[0].Data, want) || imgs[0].Role != "user" {
			t.Errorf("%s: %+v", c.api, imgs)
		}
		if (&Request{API: c.api, Body: []byte(`{"messages":[{"role":"user","content":"no image"}]}`)}).Images() != nil {
			t.Errorf("%s: images in a text-only body", c.api)
		}
	}
}
