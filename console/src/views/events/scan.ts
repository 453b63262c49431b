// Reading a QR code from the camera's video: the browser's BarcodeDetector where it has one
// (Chrome on Android, Safari 17+ on some devices), else jsQR on a downscaled frame. jsQR is
// loaded only when needed, so the console's other screens never fetch it.

/** A Detector returns the text of a QR code in the video's current frame, if there is one. */
export type Detector = (video: HTMLVideoElement) => Promise<string | undefined>

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike
  getSupportedFormats(): Promise<string[]>
}

/** frameWidth bounds the frame jsQR reads: enough for a code held at arm's length, cheap on a phone. */
const frameWidth = 480

export async function detectorFor(): Promise<Detector> {
  const native = (window as unknown as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector
  if (native && (await native.getSupportedFormats().catch((): string[] => [])).includes('qr_code')) {
    const d = new native({ formats: ['qr_code'] })
    return async (video) => (await d.detect(video))[0]?.rawValue
  }
  const { default: jsQR } = await import('jsqr')
  const canvas = document.createElement('canvas')
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!
  return async (video) => {
    const scale = Math.min(1, frameWidth / (video.videoWidth || frameWidth))
    canvas.width = Math.round(video.videoWidth * scale)
    canvas.height = Math.round(video.videoHeight * scale)
    if (!canvas.width || !canvas.height) return undefined
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height)
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height)
    return jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' })?.data
  }
}
